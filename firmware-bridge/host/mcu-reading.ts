/** SENSOR_REPORT → Reading: value scaling, unit and status names, host time and its uncertainty (PROTOCOL.md). Pure. */
import type { Modality, Reading } from '../../core/reading.ts';
import type { FrameOf } from './message.ts';
import { ChannelModality, ChannelUnit, ReportStatus } from './message.ts';
import type { McuChannelOverride, McuReadingValue, Session } from './mcu-types.ts';
import { readingTime } from './time-sync.ts';

// Names of the codes in message.ts's ChannelModality, ChannelUnit and ReportStatus tables (PROTOCOL.md).
const MODALITY_BY_CODE: Record<number, Modality> = {
  [ChannelModality.MCU]: 'mcu',
  [ChannelModality.DOOR]: 'door',
  [ChannelModality.RANGE]: 'range',
  [ChannelModality.METER]: 'meter',
};
const UNIT_BY_CODE: Record<number, string> = {
  [ChannelUnit.NONE]: 'none',
  [ChannelUnit.BOOL]: 'bool',
  [ChannelUnit.MM]: 'mm',
  [ChannelUnit.DEGC]: 'degC',
  [ChannelUnit.W]: 'W',
  [ChannelUnit.PCT]: 'pct',
};
const STATUS_BY_CODE: Record<number, string> = { [ReportStatus.OK]: 'ok', [ReportStatus.STALE]: 'stale', [ReportStatus.FAULT]: 'fault', [ReportStatus.OUT_OF_RANGE]: 'out_of_range' };

/** `nowMs` stands in for the reading time when the MCU has no TIME_SYNC capability. */
export function reportReading(f: FrameOf<'SENSOR_REPORT'>, s: Session, source: string, override: McuChannelOverride | undefined, nowMs: number): Reading<McuReadingValue> {
  const b = f.body;
  const synced = s.mapping !== undefined;
  const declared = s.info.channels.find((c) => c.id === b.channel);
  const time = s.mapping ? readingTime(s.mapping, b.tick) : { t: nowMs, uncertaintyMs: undefined };
  const value: McuReadingValue = {
    channel: b.channel,
    value: scale(b.value, b.exponent),
    raw: b.value,
    exponent: b.exponent,
    unit: UNIT_BY_CODE[b.unit] ?? `unit_${b.unit}`,
    tick: b.tick,
    seq: f.seq,
    bootId: s.info.bootId,
    deviceId: s.info.deviceId,
  };
  if (override?.name !== undefined) value.name = override.name;
  const reading: Reading<McuReadingValue> = {
    source,
    modality: override?.modality ?? (declared ? MODALITY_BY_CODE[declared.modality] : undefined) ?? 'mcu',
    t: Math.round(time.t),
    value,
    quality: {
      ok: b.status === ReportStatus.OK,
      status: (STATUS_BY_CODE[b.status] ?? `status_${b.status}`) + (synced ? '' : ',unsynced'),
    },
  };
  // t is rounded to whole ms, which adds up to 0.5 ms.
  if (time.uncertaintyMs !== undefined) reading.quality.timeUncertaintyMs = time.uncertaintyMs + 0.5;
  return reading;
}

/** raw × 10^exponent without binary noise for the usual decimal exponents. */
function scale(raw: number, exponent: number): number {
  if (exponent === 0) return raw;
  return exponent < 0 ? Number((raw / 10 ** -exponent).toFixed(-exponent)) : raw * 10 ** exponent;
}

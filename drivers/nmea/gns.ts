import type { NmeaEnvelope } from './envelope.ts';
import { FieldError, oneOf, type FieldIssues } from './fields.ts';
import { decodeFixData, type FixData } from './fix-data.ts';
import { fixQualityFromMode, MODE_INDICATORS, type FixQuality, type ModeIndicator } from './fix-quality.ts';

/** GNS, "GNSS fix data" (NMEA 0183 v4.11 §8.3.41): GGA for multi-constellation receivers. */
export interface GnsSentence extends FixData {
  sentence: 'GNS';
  talker: string;
  /** One mode indicator per constellation, in the order GPS, GLONASS, Galileo, BeiDou, QZSS, NavIC. */
  modes: ModeIndicator[];
  /** Best quality over the constellations' mode indicators. */
  quality: FixQuality;
  navStatus?: string;
}

export const GNS_MIN_FIELDS = 6;

const RANK: Record<FixQuality, number> = { invalid: 0, simulator: 1, manual: 2, estimated: 3, gps: 4, pps: 5, dgps: 6, 'rtk-float': 7, 'rtk-fixed': 8 };

export function decodeGns(e: NmeaEnvelope, m: FieldIssues): GnsSentence {
  const f = e.fields;
  const modeField = f[5] ?? '';
  if (modeField.length > 8) throw new FieldError('mode', modeField);
  const modes: ModeIndicator[] = [];
  for (const ch of modeField) {
    const mode = oneOf(ch, 'mode', MODE_INDICATORS);
    if (mode !== undefined) modes.push(mode);
  }
  let quality: FixQuality = 'invalid';
  for (const mode of modes) {
    const q = fixQualityFromMode(mode);
    if (RANK[q] > RANK[quality]) quality = q;
  }
  const out: GnsSentence = { sentence: 'GNS', talker: e.talker, modes, quality, ...decodeFixData(f, m, { geoidSep: 9, dgpsAge: 10, dgpsStation: 11 }) };
  if (f[12]) out.navStatus = f[12];
  return out;
}

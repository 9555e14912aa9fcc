import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../../core/clock.ts';
import { AisDecoder } from '../../../drivers/ais/ais-decoder.ts';
import { decodeNmeaSentence } from '../../../drivers/nmea/codec.ts';
import { GnssFixAccumulator, type GnssFix } from '../../../drivers/nmea/fix-accumulator.ts';

/** gpsd 3.22's own regression logs (test/daemon/, BSD, COPYING beside them) with their `.chk` outputs. */
export const DAEMON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'gpsd', 'daemon');

export const DAEMON_LOGS: readonly string[] = readdirSync(DAEMON_DIR)
  .filter((f) => f.endsWith('.log'))
  .sort();

/** Fields compared per epoch (NMEA) or per message (AIS). */
export type ConformanceField = 'position' | 'altitude' | 'time' | 'speed' | 'track' | 'mode' | 'hdop' | 'vdop' | 'pdop' | 'satellitesUsed' | 'ais';

/** Per field: how many gpsd values we compared, the differences counted by reason, and a sample of each reason. */
export interface FieldTally {
  compared: number;
  byReason: Record<string, number>;
  samples: Record<string, string>;
}
export type LogConformance = Partial<Record<ConformanceField, FieldTally>> & {
  /**
   * AIS sentences we rejected while gpsd printed nothing for them either, by error code (a
   * rejection where gpsd decoded a message is a difference in the `ais` field instead).
   */
  aisRejectedLikeGpsd?: Record<string, number>;
};

type Json = Record<string, unknown>;

// gpsd prints lat/lon with 9 decimals, speed in mm/s, track and DOPs with 2-4 decimals, altitude with 4.
const TOL = { position: 1e-6, altitude: 1e-3, speed: 0.01, track: 0.01, dop: 0.005 };
const MODE: Record<GnssFix['fixMode'], number> = { none: 1, '2d': 2, '3d': 3 };

interface Epoch {
  fix?: GnssFix;
  tpv?: Json;
  sky?: Json;
}

/**
 * Replays one log as gpsd did for its `.chk`: the `.chk` repeats each input sentence before
 * the reports gpsd made after it, so each gpsd report can be tied to the epoch our
 * accumulator had open at that point. Per epoch we compare our fix with gpsd's last TPV and
 * SKY of that epoch; per AIS sentence, our message with gpsd's. The host clock is set to
 * gpsd's first reported time (gpsd resolves week rollovers against its build date).
 */
export function conformance(log: string): LogConformance {
  const lines = readFileSync(path.join(DAEMON_DIR, `${log}.chk`), 'latin1').split(/\r?\n/);
  const reports = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);
  const firstTime = reports.find((r) => r.class === 'TPV' && typeof r.time === 'string')?.time as string | undefined;
  const clock = new ManualClock(firstTime ? Date.parse(firstTime) : Date.UTC(2021, 0, 1));
  const acc = new GnssFixAccumulator({ clock, time: { floorMs: Date.UTC(1999, 0, 1) } });
  const ais = new AisDecoder({ clock, scaled: false });
  const out: LogConformance = {};
  const tally = (f: ConformanceField): FieldTally => (out[f] ??= { compared: 0, byReason: {}, samples: {} });

  const epochs: Epoch[] = [{}];
  let aisPending: Json[] = [];
  let aisExpected: Json[] = [];
  let aisRejected: string[] = [];
  const settleAis = (): void => {
    // gpsd reports a message after its last fragment; ours come back from the same line.
    for (let i = 0; i < Math.max(aisPending.length, aisExpected.length); i++) compareAis(aisPending[i], aisExpected[i], tally('ais'));
    if (aisExpected.length === 0) for (const code of aisRejected) (out.aisRejectedLikeGpsd ??= {})[code] = (out.aisRejectedLikeGpsd?.[code] ?? 0) + 1;
    aisPending = [];
    aisExpected = [];
    aisRejected = [];
  };
  for (const line of lines) {
    if (line.startsWith('$')) {
      settleAis();
      // gpsd accepts sentences without a checksum (hp58534a.log has none); so does our codec when told to.
      const r = decodeNmeaSentence(line.trim(), { requireChecksum: false });
      if (!r.ok) continue;
      const closed = acc.push(r.sentence);
      if (closed) {
        epochs[epochs.length - 1]!.fix = closed;
        epochs.push({});
      }
    } else if (line.startsWith('!')) {
      settleAis();
      for (const res of ais.pushLine(line)) {
        if (res.ok) aisPending.push(res.message as unknown as Json);
        else aisRejected.push(res.error.code);
      }
    } else if (line.startsWith('{')) {
      const rep = JSON.parse(line) as Json;
      const e = epochs[epochs.length - 1]!;
      if (rep.class === 'TPV') e.tpv = rep;
      else if (rep.class === 'SKY') e.sky = rep;
      else if (rep.class === 'AIS') aisExpected.push(rep);
    }
  }
  for (const res of ais.flush()) if (!res.ok) aisRejected.push(res.error.code);
  settleAis();
  const last = acc.flush();
  if (last) epochs[epochs.length - 1]!.fix = last;
  for (const e of epochs) if (e.fix) compareEpoch(e, tally);
  return out;
}

function compareEpoch(e: Epoch, tally: (f: ConformanceField) => FieldTally): void {
  const fix = e.fix!;
  const at = fix.timeOfDayMs !== undefined ? new Date(fix.timeOfDayMs).toISOString().slice(11, 23) : 'untimed';
  const has = (...f: string[]): boolean => f.some((x) => fix.sentences.includes(x));
  const t = e.tpv;
  if (t) {
    const mode = typeof t.mode === 'number' ? t.mode : 0;
    if (mode > 0) {
      const ours = MODE[fix.fixMode];
      let why = 'other';
      if (ours === 2 && mode === 3 && has('GSA')) why = 'gsa-2d-promoted';
      else if (ours < mode && !has('GGA', 'GNS', 'GSA')) why = 'mode-carried-over';
      else if (ours > mode && mode === 1 && !fix.valid) why = 'warning-keeps-gsa-mode';
      else if (ours === 2 && mode === 3 && fix.altMslM === undefined) why = 'mode-carried-over';
      check(tally('mode'), at, ours === mode, why, `${fix.fixMode} vs gpsd ${mode} [${fix.sentences.join(' ')}]`);
    }
    if (typeof t.lat === 'number' && typeof t.lon === 'number') {
      const ok = fix.lat !== undefined && Math.abs(fix.lat - t.lat) <= TOL.position && Math.abs(fix.lon! - t.lon) <= TOL.position;
      const positions = fix.sentences.filter((x) => x === 'GGA' || x === 'RMC' || x === 'GLL' || x === 'GNS').length;
      const why = fix.lat === undefined ? 'position-carried-over' : positions > 1 ? 'position-other-sentence' : 'other';
      check(tally('position'), at, ok, why, `${fix.lat},${fix.lon} vs gpsd ${t.lat},${t.lon} [${fix.sentences.join(' ')}]`);
    }
    const gAlt = typeof t.altMSL === 'number' ? t.altMSL : undefined;
    if (gAlt !== undefined) {
      const ok = fix.altMslM !== undefined && Math.abs(fix.altMslM - gAlt) <= TOL.altitude;
      check(tally('altitude'), at, ok, 'other', `${fix.altMslM} vs gpsd ${gAlt} [${fix.sentences.join(' ')}]`);
    }
    if (typeof t.time === 'string') {
      const ours = fix.gnssTime ? new Date(fix.gnssTime.ms).toISOString() : undefined;
      check(tally('time'), at, ours === t.time, 'other', `${ours} vs gpsd ${t.time} [${fix.sentences.join(' ')}]`);
    }
    if (typeof t.speed === 'number') {
      const ok = fix.speedMps !== undefined && Math.abs(fix.speedMps - t.speed) <= TOL.speed;
      const why = fix.speedMps === undefined ? (has('RMC', 'VTG') ? 'other' : 'speed-carried-over') : has('RMC') && has('VTG') ? 'rmc-over-vtg' : 'other';
      check(tally('speed'), at, ok, why, `${fix.speedMps} vs gpsd ${t.speed} [${fix.sentences.join(' ')}]`);
    }
    if (typeof t.track === 'number') {
      const ok = fix.trackDeg !== undefined && Math.abs(fix.trackDeg - t.track) <= TOL.track;
      const why = fix.trackDeg === undefined ? (has('RMC', 'VTG') ? 'other' : 'speed-carried-over') : has('RMC') && has('VTG') ? 'rmc-over-vtg' : 'other';
      check(tally('track'), at, ok, why, `${fix.trackDeg} vs gpsd ${t.track} [${fix.sentences.join(' ')}]`);
    }
  }
  const s = e.sky;
  if (s) {
    for (const k of ['hdop', 'vdop', 'pdop'] as const) {
      const g = s[k];
      if (typeof g !== 'number') continue;
      const ok = fix[k] !== undefined && Math.abs(fix[k] - g) <= TOL.dop;
      const gsas = fix.sentences.filter((x) => x === 'GSA').length;
      const implausible = fix.implausible.some((i) => i.quantity === k);
      const why = implausible ? 'dop-implausible' : fix[k] === undefined ? 'dop-not-sent' : gsas > 1 ? 'dop-sentences-disagree' : 'other';
      check(tally(k), at, ok, why, `${fix[k]} vs gpsd ${g} [${fix.sentences.join(' ')}]`);
    }
    if (typeof s.uSat === 'number') {
      const why = s.uSat === 0 ? 'usat-zero' : 'usat-sky-view';
      check(tally('satellitesUsed'), at, fix.satellitesUsed === s.uSat, why, `${fix.satellitesUsed} vs gpsd ${s.uSat} [${fix.sentences.join(' ')}]`);
    }
  }
}

// gpsd's *_text fields are lookup tables we do not produce; device is an envelope field.
const AIS_IGNORED = (k: string): boolean => k === 'device' || k.endsWith('_text');

function compareAis(ours: Json | undefined, theirs: Json | undefined, t: FieldTally): void {
  if (theirs === undefined) {
    check(t, 'ais', false, 'other', `extra message type ${String(ours?.type)} mmsi ${String(ours?.mmsi)}`);
    return;
  }
  const where = `type ${String(theirs.type)} mmsi ${String(theirs.mmsi)}`;
  if (ours === undefined) {
    check(t, 'ais', false, 'other', `${where}: not decoded`);
    return;
  }
  const bad = Object.keys(theirs).filter((k) => !AIS_IGNORED(k) && JSON.stringify(ours[k]) !== JSON.stringify(theirs[k]));
  check(t, 'ais', bad.length === 0, 'other', `${where}: ${bad.map((k) => `${k}=${JSON.stringify(ours[k])} vs gpsd ${JSON.stringify(theirs[k])}`).join(', ')}`);
}

function check(t: FieldTally, at: string, ok: boolean, why: string, what: string): void {
  t.compared++;
  if (ok) return;
  t.byReason[why] = (t.byReason[why] ?? 0) + 1;
  t.samples[why] ??= `${at}: ${what}`;
}

import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, FieldError, int, num, numIn, oneOf, timeOfDay, type FieldIssues } from './fields.ts';
import { fixQualityFromMode, MODE_INDICATORS, type FixQuality, type ModeIndicator } from './fix-quality.ts';

/** GNS, "GNSS fix data" (NMEA 0183 v4.11 §8.3.41): GGA for multi-constellation receivers. */
export interface GnsSentence {
  sentence: 'GNS';
  talker: string;
  timeOfDayMs?: number;
  lat?: number;
  lon?: number;
  /** One mode indicator per constellation, in the order GPS, GLONASS, Galileo, BeiDou, QZSS, NavIC. */
  modes: ModeIndicator[];
  /** Best quality over the constellations' mode indicators. */
  quality: FixQuality;
  satellitesUsed?: number;
  hdop?: number;
  altMslM?: number;
  geoidSepM?: number;
  dgpsAgeS?: number;
  dgpsStation?: string;
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
  const out: GnsSentence = { sentence: 'GNS', talker: e.talker, modes, quality };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  const lat = m.minor(() => coordinate(f[1], f[2], 'lat'));
  const lon = m.minor(() => coordinate(f[3], f[4], 'lon'));
  if (lat !== undefined && lon !== undefined) {
    out.lat = lat;
    out.lon = lon;
  }
  assign(out, 'satellitesUsed', m.minor(() => int(f[6], 'satellites')));
  assign(out, 'hdop', m.minor(() => numIn(f[7], 'hdop', 0, 100)));
  assign(out, 'altMslM', m.minor(() => numIn(f[8], 'altitude', -1e7, 1e8)));
  assign(out, 'geoidSepM', m.minor(() => numIn(f[9], 'geoid separation', -1e4, 1e4)));
  assign(out, 'dgpsAgeS', m.minor(() => num(f[10], 'dgps age')));
  if (f[11]) out.dgpsStation = f[11];
  if (f[12]) out.navStatus = f[12];
  return out;
}

import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, dateDdmmyy, KNOT_MPS, numIn, oneOf, timeOfDay, type CalendarDate, type FieldIssues } from './fields.ts';
import { MODE_INDICATORS, type ModeIndicator } from './fix-quality.ts';

/** RMC, "Recommended minimum specific GNSS data" (NMEA 0183 v4.11 §8.3.71). */
export interface RmcSentence {
  sentence: 'RMC';
  talker: string;
  timeOfDayMs?: number;
  /** A = data valid, V = navigation receiver warning. */
  status?: 'A' | 'V';
  lat?: number;
  lon?: number;
  speedMps?: number;
  /** Course over ground, degrees true. */
  trackDeg?: number;
  date?: CalendarDate;
  /** Magnetic variation, degrees; east positive. */
  magVarDeg?: number;
  mode?: ModeIndicator;
}

export const RMC_MIN_FIELDS = 9;

export function decodeRmc(e: NmeaEnvelope, m: FieldIssues): RmcSentence {
  const f = e.fields;
  const out: RmcSentence = { sentence: 'RMC', talker: e.talker };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  assign(out, 'status', m.minor(() => oneOf(f[1], 'status', ['A', 'V'] as const)));
  const lat = m.minor(() => coordinate(f[2], f[3], 'lat'));
  const lon = m.minor(() => coordinate(f[4], f[5], 'lon'));
  if (lat !== undefined && lon !== undefined) {
    out.lat = lat;
    out.lon = lon;
  }
  const kn = m.minor(() => numIn(f[6], 'speed', 0, 1e6));
  if (kn !== undefined) out.speedMps = kn * KNOT_MPS;
  assign(out, 'trackDeg', m.minor(() => numIn(f[7], 'course', -360, 360)));
  assign(out, 'date', m.minor(() => dateDdmmyy(f[8])));
  const mv = m.minor(() => numIn(f[9], 'magnetic variation', 0, 180));
  const mvDir = m.minor(() => oneOf(f[10], 'variation direction', ['E', 'W'] as const));
  // A variation without a valid direction has no sign: left out with the direction.
  if (mv !== undefined && (mvDir !== undefined || mv === 0)) out.magVarDeg = mvDir === 'W' ? -mv : mv;
  assign(out, 'mode', m.minor(() => oneOf(f[11], 'mode', MODE_INDICATORS)));
  return out;
}

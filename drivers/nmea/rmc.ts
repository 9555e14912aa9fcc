import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, dateDdmmyy, KNOT_MPS, numIn, oneOf, timeOfDay, type CalendarDate } from './fields.ts';
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

export function decodeRmc(e: NmeaEnvelope): RmcSentence {
  const f = e.fields;
  const out: RmcSentence = { sentence: 'RMC', talker: e.talker };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  assign(out, 'status', oneOf(f[1], 'status', ['A', 'V'] as const));
  assign(out, 'lat', coordinate(f[2], f[3], 'lat'));
  assign(out, 'lon', coordinate(f[4], f[5], 'lon'));
  const kn = numIn(f[6], 'speed', 0, 1e5);
  if (kn !== undefined) out.speedMps = kn * KNOT_MPS;
  assign(out, 'trackDeg', numIn(f[7], 'course', -360, 360));
  assign(out, 'date', dateDdmmyy(f[8]));
  const mv = numIn(f[9], 'magnetic variation', 0, 180);
  const mvDir = oneOf(f[10], 'variation direction', ['E', 'W'] as const);
  if (mv !== undefined) out.magVarDeg = mvDir === 'W' ? -mv : mv;
  assign(out, 'mode', oneOf(f[11], 'mode', MODE_INDICATORS));
  return out;
}

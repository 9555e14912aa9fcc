import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, oneOf, timeOfDay } from './fields.ts';
import { MODE_INDICATORS, type ModeIndicator } from './fix-quality.ts';

/** GLL, "Geographic position – latitude/longitude" (NMEA 0183 v4.11 §8.3.38). */
export interface GllSentence {
  sentence: 'GLL';
  talker: string;
  lat?: number;
  lon?: number;
  timeOfDayMs?: number;
  status?: 'A' | 'V';
  mode?: ModeIndicator;
}

export const GLL_MIN_FIELDS = 4;

export function decodeGll(e: NmeaEnvelope): GllSentence {
  const f = e.fields;
  const out: GllSentence = { sentence: 'GLL', talker: e.talker };
  assign(out, 'lat', coordinate(f[0], f[1], 'lat'));
  assign(out, 'lon', coordinate(f[2], f[3], 'lon'));
  assign(out, 'timeOfDayMs', timeOfDay(f[4]));
  assign(out, 'status', oneOf(f[5], 'status', ['A', 'V'] as const));
  assign(out, 'mode', oneOf(f[6], 'mode', MODE_INDICATORS));
  return out;
}

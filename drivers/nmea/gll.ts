import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, oneOf, timeOfDay, type FieldIssues } from './fields.ts';
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

export function decodeGll(e: NmeaEnvelope, m: FieldIssues): GllSentence {
  const f = e.fields;
  const out: GllSentence = { sentence: 'GLL', talker: e.talker };
  const lat = m.minor(() => coordinate(f[0], f[1], 'lat'));
  const lon = m.minor(() => coordinate(f[2], f[3], 'lon'));
  if (lat !== undefined && lon !== undefined) {
    out.lat = lat;
    out.lon = lon;
  }
  assign(out, 'timeOfDayMs', timeOfDay(f[4]));
  assign(out, 'status', m.minor(() => oneOf(f[5], 'status', ['A', 'V'] as const)));
  assign(out, 'mode', m.minor(() => oneOf(f[6], 'mode', MODE_INDICATORS)));
  return out;
}

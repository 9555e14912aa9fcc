import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, FieldError, int, num, numIn, timeOfDay } from './fields.ts';
import { fixQualityFromCode, type FixQuality } from './fix-quality.ts';

/** GGA, "Global positioning system fix data" (NMEA 0183 v4.11 §8.3.40). */
export interface GgaSentence {
  sentence: 'GGA';
  talker: string;
  timeOfDayMs?: number;
  lat?: number;
  lon?: number;
  quality: FixQuality;
  qualityCode: number;
  satellitesUsed?: number;
  hdop?: number;
  /** Antenna altitude above mean sea level (geoid), metres. */
  altMslM?: number;
  /** Geoidal separation: WGS-84 ellipsoid minus geoid, metres. */
  geoidSepM?: number;
  dgpsAgeS?: number;
  dgpsStation?: string;
}

// Through the altitude field; trailing geoid, DGPS age and station fields are often omitted by older receivers.
export const GGA_MIN_FIELDS = 9;

export function decodeGga(e: NmeaEnvelope): GgaSentence {
  const f = e.fields;
  const qualityCode = int(f[5], 'quality') ?? 0;
  const quality = fixQualityFromCode(qualityCode);
  if (quality === undefined) throw new FieldError('quality', f[5] ?? '');
  const out: GgaSentence = { sentence: 'GGA', talker: e.talker, quality, qualityCode };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  assign(out, 'lat', coordinate(f[1], f[2], 'lat'));
  assign(out, 'lon', coordinate(f[3], f[4], 'lon'));
  assign(out, 'satellitesUsed', int(f[6], 'satellites'));
  assign(out, 'hdop', numIn(f[7], 'hdop', 0, 100));
  assign(out, 'altMslM', numIn(f[8], 'altitude', -1e5, 1e7));
  assign(out, 'geoidSepM', numIn(f[10], 'geoid separation', -1e3, 1e3));
  assign(out, 'dgpsAgeS', num(f[12], 'dgps age'));
  if (f[13]) out.dgpsStation = f[13];
  return out;
}

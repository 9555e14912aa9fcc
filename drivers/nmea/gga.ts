import type { NmeaEnvelope } from './envelope.ts';
import { assign, coordinate, FieldError, int, num, numIn, timeOfDay, type FieldIssues } from './fields.ts';
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

export function decodeGga(e: NmeaEnvelope, m: FieldIssues): GgaSentence {
  const f = e.fields;
  const qualityCode = int(f[5], 'quality') ?? 0;
  const quality = fixQualityFromCode(qualityCode);
  if (quality === undefined) throw new FieldError('quality', f[5] ?? '');
  const out: GgaSentence = { sentence: 'GGA', talker: e.talker, quality, qualityCode };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  const lat = m.minor(() => coordinate(f[1], f[2], 'lat'));
  const lon = m.minor(() => coordinate(f[3], f[4], 'lon'));
  // A position is both coordinates or none: half of one is not a place.
  if (lat !== undefined && lon !== undefined) {
    out.lat = lat;
    out.lon = lon;
  }
  assign(out, 'satellitesUsed', m.minor(() => int(f[6], 'satellites')));
  assign(out, 'hdop', m.minor(() => numIn(f[7], 'hdop', 0, 100)));
  assign(out, 'altMslM', m.minor(() => numIn(f[8], 'altitude', -1e7, 1e8)));
  assign(out, 'geoidSepM', m.minor(() => numIn(f[10], 'geoid separation', -1e4, 1e4)));
  assign(out, 'dgpsAgeS', m.minor(() => num(f[12], 'dgps age')));
  if (f[13]) out.dgpsStation = f[13];
  return out;
}

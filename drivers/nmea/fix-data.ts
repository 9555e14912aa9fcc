import { assign, coordinate, int, num, numIn, timeOfDay, type FieldIssues } from './fields.ts';

/**
 * What GGA (NMEA 0183 v4.11 §8.3.40) and GNS (§8.3.41) both report about a fix, in the same
 * order from field 0: UTC time, latitude and longitude with their hemispheres, satellites used,
 * HDOP, altitude above mean sea level, geoidal separation, age of DGPS data, DGPS station.
 * Fields 0 to 4 and 6 to 8 are at the same places in both; GGA follows altitude and
 * separation each with a units field (`M`), GNS does not, so the last three sit at
 * different places.
 */
export interface FixData {
  timeOfDayMs?: number;
  lat?: number;
  lon?: number;
  satellitesUsed?: number;
  hdop?: number;
  /** Antenna altitude above mean sea level (geoid), metres. */
  altMslM?: number;
  /** Geoidal separation: WGS-84 ellipsoid minus geoid, metres. */
  geoidSepM?: number;
  dgpsAgeS?: number;
  dgpsStation?: string;
}

/** Where a sentence keeps geoidal separation, DGPS age and DGPS station. */
export interface FixDataTail {
  geoidSep: number;
  dgpsAge: number;
  dgpsStation: number;
}

/** Decodes the shared fields; a malformed one is left out and recorded in `m`, as every minor field. */
export function decodeFixData(f: readonly string[], m: FieldIssues, tail: FixDataTail): FixData {
  const out: FixData = {};
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
  assign(out, 'geoidSepM', m.minor(() => numIn(f[tail.geoidSep], 'geoid separation', -1e4, 1e4)));
  assign(out, 'dgpsAgeS', m.minor(() => num(f[tail.dgpsAge], 'dgps age')));
  const station = f[tail.dgpsStation];
  if (station) out.dgpsStation = station;
  return out;
}

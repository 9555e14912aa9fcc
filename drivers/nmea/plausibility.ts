/**
 * Plausibility bounds for quantities that passed the checksum and the field syntax. A value
 * outside its bound is not trusted: the accumulator leaves it out of the fix and lists it in
 * `GnssFix.implausible`, and the Reading made from that fix is flagged (quality.ok false,
 * status `implausible:<names>`). drivers/nmea/README.md shows this table; keep them equal.
 */
export type PlausibleQuantity =
  | 'altMslM'
  | 'speedMps'
  | 'trackDeg'
  | 'satellitesUsed'
  | 'hdop'
  | 'pdop'
  | 'vdop'
  | 'latSigmaM'
  | 'lonSigmaM'
  | 'year';

export interface PlausibleBound {
  min: number;
  max: number;
  /** Why the bound is where it is. */
  why: string;
  /** Only checked on an epoch the receiver marks as a valid fix (receivers send large sigmas while searching). */
  validFixOnly?: boolean;
}

export const PLAUSIBLE_BOUNDS: Readonly<Record<PlausibleQuantity, PlausibleBound>> = {
  altMslM: { min: -500, max: 18_000, why: 'Dead Sea shore -430 m; receivers stop reporting above 18 km (CoCom export limit)' },
  speedMps: { min: 0, max: 515, why: 'receivers stop reporting above 1000 knots (CoCom export limit)' },
  trackDeg: { min: 0, max: 360, why: 'course over ground is an angle from true north' },
  satellitesUsed: { min: 0, max: 100, why: 'about 200 GNSS satellites (with SBAS) orbit; no more than half are above one horizon' },
  hdop: { min: 0, max: 50, why: 'above 50 the geometry gives no usable position (receivers print 99.9 for "none")' },
  pdop: { min: 0, max: 50, why: 'as HDOP' },
  vdop: { min: 0, max: 50, why: 'as HDOP' },
  latSigmaM: { min: 0, max: 10_000, why: 'a valid fix with a 1-sigma error over 10 km is a receiver fault', validFixOnly: true },
  lonSigmaM: { min: 0, max: 10_000, why: 'as latitude sigma', validFixOnly: true },
  year: { min: 1980, max: 2099, why: 'GPS time starts 1980-01-06; later years are a corrupt date, not a receiver from the future' },
};

export interface ImplausibleValue {
  quantity: PlausibleQuantity;
  value: number;
}

/** True when `v` lies within the quantity's bound (inclusive). */
export function isPlausible(quantity: PlausibleQuantity, v: number): boolean {
  const b = PLAUSIBLE_BOUNDS[quantity];
  return Number.isFinite(v) && v >= b.min && v <= b.max;
}

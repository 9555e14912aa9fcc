import { scaleBinaryApplication } from './messages/binary-message.ts';
import type { AisFields } from './messages/types.ts';

/** ITU-R M.1371-5 Table 46: positions in 1/10 000 minute. */
const POSITION_DIVISOR = 600_000;
/** ITU-R M.1371-5 Tables 68 (type 17), 76 (type 23), 80 (type 27) and message 22: positions in 1/10 minute. */
const TENTH_MINUTE_DIVISOR = 600;

/**
 * Converts raw fields to gpsd's scaled units: degrees, knots, degrees of course and metres
 * of draught. Sentinels ("not available" codes) are scaled like any value, except rate of
 * turn, whose codes gpsd renders as words.
 */
export function scaleAisFields(type: number, raw: AisFields): AisFields {
  if (type === 6 || type === 8) return scaleBinaryApplication(type, raw);
  const out: AisFields = Object.assign({}, raw);
  if (type === 17 || type === 27) {
    // Position in 1/10 minute; type 27's speed and course are already whole knots and degrees.
    if (typeof raw.lon === 'number') out.lon = raw.lon / TENTH_MINUTE_DIVISOR;
    if (typeof raw.lat === 'number') out.lat = raw.lat / TENTH_MINUTE_DIVISOR;
    return out;
  }
  if (type === 22 || type === 23) {
    // Corners in 1/10 minute (type 22 has them only when not addressed).
    for (const k of ['ne_lon', 'ne_lat', 'sw_lon', 'sw_lat']) if (typeof raw[k] === 'number') out[k] = raw[k] / TENTH_MINUTE_DIVISOR;
    return out;
  }
  if (typeof raw.lon === 'number') out.lon = raw.lon / POSITION_DIVISOR;
  if (typeof raw.lat === 'number') out.lat = raw.lat / POSITION_DIVISOR;
  if (typeof raw.course === 'number') out.course = raw.course / 10;
  // Type 9 (SAR aircraft) gives speed in whole knots already (ITU-R M.1371-5, message 9).
  if (typeof raw.speed === 'number' && type !== 9) out.speed = scaleSpeedOverGround(raw.speed);
  if (type === 5 && typeof raw.draught === 'number') out.draught = raw.draught / 10;
  if (typeof raw.turn === 'number') out.turn = scaleRateOfTurn(raw.turn);
  return out;
}

/** ITU-R M.1371-5 Table 46: SOG in 1/10 knot; 1023 = not available, 1022 = 102.2 knots or more (gpsd: "nan", "fast"). */
export function scaleSpeedOverGround(raw: number): number | string {
  if (raw === 1023) return 'nan';
  if (raw === 1022) return 'fast';
  return raw / 10;
}

/**
 * ITU-R M.1371-5 Table 46, rate of turn: ROT_AIS = 4.733 * sqrt(ROT_sensor) in deg/min,
 * signed; -128 = not available, +-127 = turning faster than 5 deg / 30 s with no sensor.
 * gpsd 3.22 prints the magnitude only; we keep the sign (negative = turning left), as the
 * standard defines it.
 */
export function scaleRateOfTurn(raw: number): number | string {
  if (raw === -128) return 'nan';
  if (raw === 127) return 'fastright';
  if (raw === -127) return 'fastleft';
  const r = raw / 4.733;
  return Math.round(Math.sign(raw) * r * r);
}

import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** ITU-R M.1371-5 §3.3.8.2.23: a 96-bit message (some transmitters fill a whole 168-bit slot). */
export const LONG_RANGE_MIN_BITS = 96;

/**
 * Type 27, position report for long-range applications (ITU-R M.1371-5 Table 80): position in
 * 1/10 minute (lon 181° / lat 91° = not available), speed in whole knots (63 = not
 * available), course in whole degrees (511 = not available), `gnss` the position-latency
 * bit (gpsd's name). Raw units.
 */
export function decodeLongRange(b: AisBits): AisFields {
  return {
    accuracy: b.flag(38),
    raim: b.flag(39),
    status: b.u(40, 4),
    lon: b.s(44, 18),
    lat: b.s(62, 17),
    speed: b.u(79, 6),
    course: b.u(85, 9),
    gnss: b.flag(94),
  };
}

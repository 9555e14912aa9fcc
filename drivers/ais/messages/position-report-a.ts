import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** Minimum length: the fields up to and including RAIM; the radio status may be cut short. */
export const POSITION_REPORT_A_MIN_BITS = 149;

/** Types 1, 2, 3: Class A position report (ITU-R M.1371-5 Annex 2 §3.3.8.2.1, Table 46). Raw units. */
export function decodePositionReportA(b: AisBits): AisFields {
  // Radio status is 19 bits at 149; short messages keep what bits they have, right-aligned (gpsd does the same).
  const radioBits = Math.min(19, Math.max(0, b.length - 149));
  return {
    status: b.u(38, 4),
    turn: b.s(42, 8),
    speed: b.u(50, 10),
    accuracy: b.flag(60),
    lon: b.s(61, 28),
    lat: b.s(89, 27),
    course: b.u(116, 12),
    heading: b.u(128, 9),
    second: b.u(137, 6),
    maneuver: b.u(143, 2),
    raim: b.flag(148),
    radio: b.u(149, radioBits),
  };
}

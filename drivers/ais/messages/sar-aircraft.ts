import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const SAR_AIRCRAFT_MIN_BITS = 168;

/**
 * Type 9, standard SAR aircraft position report (ITU-R M.1371-5, Annex 8 message table): altitude in
 * metres (4095 = not available, 4094 = 4094 m or higher), speed over ground in whole knots
 * (1023 = not available, 1022 = 1022 knots or more), then position, course and time stamp as in
 * types 1-3. `regional` is gpsd's name for the 8 bits after the time stamp (altitude sensor
 * flag and spare in M.1371-5). Raw units.
 */
export function decodeSarAircraft(b: AisBits): AisFields {
  return {
    alt: b.u(38, 12),
    speed: b.u(50, 10),
    accuracy: b.flag(60),
    lon: b.s(61, 28),
    lat: b.s(89, 27),
    course: b.u(116, 12),
    second: b.u(128, 6),
    regional: b.u(134, 8),
    dte: b.u(142, 1),
    assigned: b.flag(146),
    raim: b.flag(147),
    radio: b.u(148, 20),
  };
}

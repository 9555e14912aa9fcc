import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** Type 15 is 88 to 160 bits in ITU-R M.1371-5; gpsd 3.22 accepts up to 168 (a whole slot), and so do we. */
export const INTERROGATION_MIN_BITS = 88;
export const INTERROGATION_MAX_BITS = 168;
/** Type 16 is 96 bits (one station) or 144 (two); gpsd 3.22 accepts up to 168. */
export const ASSIGNED_MODE_MIN_BITS = 96;
export const ASSIGNED_MODE_MAX_BITS = 168;
const ASSIGNED_MODE_TWO_STATIONS_BITS = 144;

/**
 * Type 15, interrogation (ITU-R M.1371-5, Annex 8 message table): the first station asked for up to two
 * message types with their slot offsets, a second station for one. Parts past the end of a
 * short message read as zeros, as gpsd prints them.
 */
export function decodeInterrogation(b: AisBits): AisFields {
  return {
    mmsi1: b.u(40, 30),
    type1_1: b.u(70, 6),
    offset1_1: b.u(76, 12),
    type1_2: b.u(90, 6),
    offset1_2: b.u(96, 12),
    mmsi2: b.u(110, 30),
    type2_1: b.u(140, 6),
    offset2_1: b.u(146, 12),
  };
}

/**
 * Type 16, assigned mode command (ITU-R M.1371-5, Annex 8 message table): slot offset and increment for
 * one station, or two when the message has the 144 bits for it (gpsd 3.22 reads the second
 * only then; a shorter message gives zeros).
 */
export function decodeAssignedMode(b: AisBits): AisFields {
  const two = b.length >= ASSIGNED_MODE_TWO_STATIONS_BITS;
  return {
    mmsi1: b.u(40, 30),
    offset1: b.u(70, 12),
    increment1: b.u(82, 10),
    mmsi2: two ? b.u(92, 30) : 0,
    offset2: two ? b.u(122, 12) : 0,
    increment2: two ? b.u(134, 10) : 0,
  };
}

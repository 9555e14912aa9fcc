import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const CHANNEL_MANAGEMENT_MIN_BITS = 168;

/**
 * Type 22, channel management (ITU-R M.1371-5, Annex 8 message table): channels A and B, Tx/Rx mode,
 * power, then either a region (north-east and south-west corners in 1/10 minute) or, when the
 * addressed flag (bit 139) is set, two destination MMSIs; band flags and transitional zone size.
 */
export function decodeChannelManagement(b: AisBits): AisFields {
  const addressed = b.flag(139);
  const head: AisFields = { channel_a: b.u(40, 12), channel_b: b.u(52, 12), txrx: b.u(64, 4), power: b.flag(68) };
  const target: AisFields = addressed
    ? { dest1: b.u(69, 30), dest2: b.u(104, 30) }
    : { ne_lon: b.s(69, 18), ne_lat: b.s(87, 17), sw_lon: b.s(104, 18), sw_lat: b.s(122, 17) };
  return { ...head, ...target, addressed, band_a: b.flag(140), band_b: b.flag(141), zonesize: b.u(142, 3) };
}

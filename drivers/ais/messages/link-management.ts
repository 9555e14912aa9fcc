import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** Types 7/13 and 20 need at least the first block (ITU-R M.1371-5 Tables 54 and 76). */
export const ACKNOWLEDGE_MIN_BITS = 72;
export const DATA_LINK_MANAGEMENT_MIN_BITS = 72;

/**
 * Types 7 (binary acknowledge) and 13 (safety-related acknowledge), ITU-R M.1371-5 Table 54:
 * up to four acknowledged MMSIs, each with its 2-bit sequence number; absent ones are 0.
 */
export function decodeAcknowledge(b: AisBits): AisFields {
  const f: AisFields = {};
  for (let i = 0; i < 4; i++) {
    const present = b.length > 40 + 32 * i;
    f[`mmsi${i + 1}`] = present ? b.u(40 + 32 * i, 30) : 0;
    f[`seqno${i + 1}`] = present ? b.u(72 + 32 * i, 2) : 0;
  }
  return f;
}

/**
 * Type 20, data link management (ITU-R M.1371-5 Table 76): four slot reservations of
 * offset, number of slots, time-out and increment; blocks past the end of a short message read as 0.
 */
export function decodeDataLinkManagement(b: AisBits): AisFields {
  const f: AisFields = {};
  for (let i = 0; i < 4; i++) {
    const o = 40 + 30 * i;
    f[`offset${i + 1}`] = b.u(o, 12);
    f[`number${i + 1}`] = b.u(o + 12, 4);
    f[`timeout${i + 1}`] = b.u(o + 16, 3);
    f[`increment${i + 1}`] = b.u(o + 19, 11);
  }
  return f;
}

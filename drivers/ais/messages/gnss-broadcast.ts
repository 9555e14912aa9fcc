import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/**
 * ITU-R M.1371-5 Table 68: 80 bits of header and reference-station position, then 0-736 bits
 * of differential corrections, so 80 to 816 bits in all.
 */
export const GNSS_BROADCAST_MIN_BITS = 80;
export const GNSS_BROADCAST_MAX_BITS = 816;

/**
 * Type 17, GNSS broadcast binary message (ITU-R M.1371-5 Table 68): the surveyed position of
 * the DGNSS reference station in 1/10 minute (181° / 91° when the service is not available),
 * and the correction words (ITU-R M.823 format) as raw bits, `"<bits>:<hex>"` as gpsd prints
 * them. The corrections are for a DGNSS receiver, not for this agent, so they are not decoded.
 */
export function decodeGnssBroadcast(b: AisBits): AisFields {
  return {
    lon: b.s(40, 18),
    lat: b.s(58, 17),
    data: b.rawData(80),
  };
}

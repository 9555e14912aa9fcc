import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** Type 12 carries text after a 72-bit header, type 14 after 40; both at most 1008 bits (ITU-R M.1371-5). */
export const ADDRESSED_SAFETY_MIN_BITS = 72;
export const BROADCAST_SAFETY_MIN_BITS = 40;
export const SAFETY_MESSAGE_MAX_BITS = 1008;

/**
 * Type 12, addressed safety related message (ITU-R M.1371-5, Annex 8 message table): sequence number,
 * destination MMSI, retransmit flag, then 6-bit text (Table 47) filling the message.
 */
export function decodeAddressedSafety(b: AisBits): AisFields {
  return {
    seqno: b.u(38, 2),
    dest_mmsi: b.u(40, 30),
    retransmit: b.flag(70),
    text: b.text(72, Math.floor((b.length - 72) / 6)),
  };
}

/** Type 14, safety related broadcast message (ITU-R M.1371-5, Annex 8 message table): 6-bit text after two spare bits. */
export function decodeBroadcastSafety(b: AisBits): AisFields {
  return { text: b.text(40, Math.floor((b.length - 40) / 6)) };
}

/** Type 10, UTC and date inquiry (ITU-R M.1371-5, Annex 8 message table): the station asked, answered by a type 11. */
export const UTC_INQUIRY_MIN_BITS = 72;

export function decodeUtcInquiry(b: AisBits): AisFields {
  return { dest_mmsi: b.u(40, 30) };
}

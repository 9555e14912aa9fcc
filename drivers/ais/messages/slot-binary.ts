import type { AisBits } from '../bits.ts';
import { AisError, AisErrorCode } from '../errors.ts';
import type { AisFields } from './types.ts';

/** Type 25 is at most one slot (168 bits); type 26 up to 1004 bits in gpsd 3.22, which we follow. */
export const SINGLE_SLOT_BINARY_MAX_BITS = 168;
export const MULTIPLE_SLOT_BINARY_MAX_BITS = 1004;
/** Type 26 ends with the communication state: a selector bit and 19 bits of SOTDMA/ITDMA state. */
const RADIO_BITS = 20;

/**
 * Types 25 (single slot) and 26 (multiple slot) binary messages (ITU-R M.1371-5, Annex 8 message tables):
 * an addressed flag and a structured flag at bits 38 and 39; a destination MMSI (30 bits)
 * when addressed; a 16-bit application identifier when structured; then the data, given raw as
 * `"<bits>:<hex>"`. gpsd 3.22 starts the identifier right after the destination (bit 70) and
 * prints `dest_mmsi` and `app_id` as 0 when absent; we read and print them the same way.
 * Type 26's `radio` is the communication state (gpsd 3.22 prints 0 whatever was sent).
 */
export function decodeSlotBinary(b: AisBits, type: 25 | 26): AisFields {
  const addressed = b.flag(38);
  const structured = b.flag(39);
  let at = 40;
  const dest_mmsi = addressed ? b.u(at, 30) : 0;
  if (addressed) at += 30;
  const app_id = structured ? b.u(at, 16) : 0;
  if (structured) at += 16;
  const end = type === 26 ? b.length - RADIO_BITS : b.length;
  // gpsd's shortest accepted messages: the header up to the data (39 bits for an unaddressed,
  // unstructured type 25), and for type 26 the communication state after it.
  const min = type === 26 ? at + RADIO_BITS : at === 40 ? 39 : at;
  if (b.length < min) throw new AisError(AisErrorCode.TooShort, `type ${type} needs ${min} bits, got ${b.length}`, { type, bits: b.length, min });
  const fields: AisFields = { addressed, structured, dest_mmsi, app_id, data: b.rawData(at, end) };
  if (type === 26) fields.radio = b.u(end, RADIO_BITS);
  return fields;
}

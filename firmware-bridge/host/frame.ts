/**
 * One frame on the wire (PROTOCOL.md §2-3): header (version u8, type u8, seq u16 LE), payload,
 * CRC-16/CCITT-FALSE over header and payload (big-endian), COBS-encoded, then 0x00.
 */
import { cobsDecode, cobsEncode } from './cobs.ts';
import { crc16 } from './crc16.ts';
import { FrameErrorCode } from './errors.ts';
import type { McuFrame, MessageType } from './message.ts';
import { decodeBody, encodeBody, MAX_PAYLOAD, MessageTypeCode, messageTypeOf } from './message.ts';

export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 1;
/** Header version outside a session and of HELLO / HELLO_REPLY: frozen so any two revisions can negotiate (PROTOCOL.md §6). */
export const HANDSHAKE_VERSION = 1;
export const HEADER_LEN = 4;
export const CRC_LEN = 2;
export const MAX_FRAME = HEADER_LEN + MAX_PAYLOAD + CRC_LEN;
/** Largest block between delimiters: COBS of a full frame. */
export const MAX_BLOCK = MAX_FRAME + Math.floor(MAX_FRAME / 254) + 1;

export interface FrameHeader {
  version: number;
  type: number;
  seq: number;
}

export type FrameDecodeResult =
  | { ok: true; frame: McuFrame }
  | { ok: false; code: FrameErrorCode; header?: FrameHeader };

/** Header + payload + CRC, before COBS. Throws BodyRangeError for values the wire cannot carry. */
export function encodeFrameBytes(frame: McuFrame): Uint8Array {
  const body = encodeBody(frame);
  const out = new Uint8Array(HEADER_LEN + body.length + CRC_LEN);
  out[0] = frame.version;
  out[1] = MessageTypeCode[frame.type];
  out[2] = frame.seq & 0xff;
  out[3] = (frame.seq >> 8) & 0xff;
  out.set(body, HEADER_LEN);
  const crc = crc16(out, 0, HEADER_LEN + body.length);
  out[HEADER_LEN + body.length] = crc >> 8;
  out[HEADER_LEN + body.length + 1] = crc & 0xff;
  return out;
}

/** The bytes to write: COBS block plus the 0x00 delimiter. */
export function encodeWire(frame: McuFrame): Uint8Array {
  const block = cobsEncode(encodeFrameBytes(frame));
  const out = new Uint8Array(block.length + 1);
  out.set(block);
  return out;
}

export function decodeFrameBytes(bytes: Uint8Array, maxVersion = PROTOCOL_VERSION_MAX): FrameDecodeResult {
  if (bytes.length < HEADER_LEN + CRC_LEN) return { ok: false, code: FrameErrorCode.SHORT };
  if (bytes.length > MAX_FRAME) return { ok: false, code: FrameErrorCode.TOO_LONG };
  const end = bytes.length - CRC_LEN;
  if (crc16(bytes, 0, end) !== ((bytes[end]! << 8) | bytes[end + 1]!)) return { ok: false, code: FrameErrorCode.CRC };
  const header: FrameHeader = { version: bytes[0]!, type: bytes[1]!, seq: bytes[2]! | (bytes[3]! << 8) };
  if (header.version < PROTOCOL_VERSION_MIN || header.version > maxVersion) return { ok: false, code: FrameErrorCode.VERSION, header };
  const type: MessageType | undefined = messageTypeOf(header.type);
  if (!type) return { ok: false, code: FrameErrorCode.UNKNOWN_TYPE, header };
  const body = decodeBody(type, bytes.subarray(HEADER_LEN, end));
  if (!body) return { ok: false, code: FrameErrorCode.PAYLOAD, header };
  return { ok: true, frame: { version: header.version, type, seq: header.seq, body } as McuFrame };
}

/** Decodes one block found between delimiters (delimiter excluded). */
export function decodeBlock(block: Uint8Array, maxVersion = PROTOCOL_VERSION_MAX): FrameDecodeResult {
  if (block.length > MAX_BLOCK) return { ok: false, code: FrameErrorCode.TOO_LONG };
  const bytes = cobsDecode(block);
  if (!bytes) return { ok: false, code: FrameErrorCode.COBS };
  return decodeFrameBytes(bytes, maxVersion);
}

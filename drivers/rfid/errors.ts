import { CodedError } from '../../core/coded-error.ts';

/** Stable reasons RFID input is rejected or counted; the codes never change meaning. */
export const RfidErrorCode = {
  /** Frame structurally complete, but the XOR (EM4100) or sum (UHF) checksum disagrees. */
  BadChecksum: 'RFID_BAD_CHECKSUM',
  /** Bytes skipped while looking for the next start of frame. */
  Discarded: 'RFID_DISCARDED',
  /** A well-framed UHF response that is not a tag read (error code, unsupported command). */
  ReaderMessage: 'RFID_READER_MESSAGE',
  /** The reader's port went away (its supervisor reopens it); counted by RfidSource. */
  LinkLost: 'RFID_LINK_LOST',
  /** A frame decoder threw something other than an RfidError: a bug here, counted and logged at error, never read as a tag. */
  Internal: 'RFID_INTERNAL',
} as const;
export type RfidErrorCode = (typeof RfidErrorCode)[keyof typeof RfidErrorCode];

/** An RFID rejection (no stack trace, as every CodedError: see core/coded-error.ts). */
export class RfidError extends CodedError<RfidErrorCode> {}

/** What a frame decoder threw, as an RfidError: its own, or anything else as RFID_INTERNAL (the original its cause). */
export function asRfidError(e: unknown): RfidError {
  if (e instanceof RfidError) return e;
  return new RfidError(RfidErrorCode.Internal, `frame decoder failed: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
}

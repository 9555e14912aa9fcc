import { CodedError } from '../../core/coded-error.ts';

export const RfidErrorCode = {
  /** Frame structurally complete, but the XOR (EM4100) or sum (UHF) checksum disagrees. */
  BadChecksum: 'RFID_BAD_CHECKSUM',
  /** Bytes skipped while looking for the next start of frame. */
  Discarded: 'RFID_DISCARDED',
  /** A well-framed UHF response that is not a tag read (error code, unsupported command). */
  ReaderMessage: 'RFID_READER_MESSAGE',
  LinkLost: 'RFID_LINK_LOST',
} as const;

export class RfidError extends CodedError {}

import { CodedError } from '../../core/coded-error.ts';

/** Stable reasons an NMEA 0183 sentence is rejected; the codes never change meaning. */
export type NmeaErrorCode =
  /** `*hh` does not match the XOR of the characters between `$`/`!` and `*` (NMEA 0183 §5.2.1). */
  | 'NMEA_BAD_CHECKSUM'
  /** No `*hh` checksum field while the decoder requires one. */
  | 'NMEA_NO_CHECKSUM'
  /** Not a sentence at all: wrong start, non-printable characters, short address field. */
  | 'NMEA_MALFORMED'
  /** A well-formed sentence whose formatter (or proprietary/encapsulated kind) this codec does not decode. */
  | 'NMEA_UNSUPPORTED'
  /** A known sentence with a field out of range or of the wrong shape (e.g. minutes >= 60, month 13). */
  | 'NMEA_BAD_FIELD'
  /** A known sentence with fewer fields than its layout requires. */
  | 'NMEA_TOO_FEW_FIELDS';

/** A rejected NMEA sentence (no stack trace, as every CodedError: see core/coded-error.ts). */
export class NmeaError extends CodedError<NmeaErrorCode> {}

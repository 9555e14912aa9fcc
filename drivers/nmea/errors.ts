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

/**
 * A rejected sentence is data, not a fault in the code, so no stack trace is captured:
 * capturing one costs about 10 µs, which garbage input would otherwise pay per line
 * (2.6 million lines of `$` took 79 s with stacks).
 */
export class NmeaError extends CodedError {
  declare readonly code: NmeaErrorCode;
  constructor(code: NmeaErrorCode, message: string, details: Record<string, unknown> = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(code, message, details);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

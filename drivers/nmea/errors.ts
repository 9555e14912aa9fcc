import { CodedError } from '../../core/coded-error.ts';
import type { DiscardReason } from '../framing/line-framer.ts';

/** Stable reasons an NMEA 0183 sentence is rejected; the codes never change meaning. */
export const NmeaErrorCode = {
  /** `*hh` does not match the XOR of the characters between `$`/`!` and `*` (NMEA 0183 §5.2.1). */
  BadChecksum: 'NMEA_BAD_CHECKSUM',
  /** No `*hh` checksum field while the decoder requires one. */
  NoChecksum: 'NMEA_NO_CHECKSUM',
  /** Not a sentence at all: wrong start, non-printable characters, short address field. */
  Malformed: 'NMEA_MALFORMED',
  /** A well-formed sentence whose formatter (or proprietary/encapsulated kind) this codec does not decode. */
  Unsupported: 'NMEA_UNSUPPORTED',
  /** A known sentence with a field out of range or of the wrong shape (e.g. minutes >= 60, month 13). */
  BadField: 'NMEA_BAD_FIELD',
  /** A known sentence with fewer fields than its layout requires. */
  TooFewFields: 'NMEA_TOO_FEW_FIELDS',
} as const;
export type NmeaErrorCode = (typeof NmeaErrorCode)[keyof typeof NmeaErrorCode];

/**
 * Bytes the NMEA line framer dropped, one code per framer reason (drivers/framing/line-framer.ts):
 * what an NMEA source counts. Keyed by the reason, so a new reason does not compile until it has a code.
 */
export const NmeaFramingCode = {
  'too-long': 'NMEA_FRAMING_TOO_LONG',
  'no-start': 'NMEA_FRAMING_NO_START',
  interrupted: 'NMEA_FRAMING_INTERRUPTED',
  incomplete: 'NMEA_FRAMING_INCOMPLETE',
} as const satisfies Record<DiscardReason, string>;
export type NmeaFramingCode = (typeof NmeaFramingCode)[DiscardReason];

/**
 * What `place-agent decode nmea` reports for bytes the framer dropped: one code whatever the
 * reason, the framer's reason (and how many runs and bytes) in the event's text. A source
 * counts NmeaFramingCode instead, one code per reason.
 */
export const NmeaDecodeFramingCode = { Framing: 'NMEA_FRAMING' } as const;
export type NmeaDecodeFramingCode = (typeof NmeaDecodeFramingCode)[keyof typeof NmeaDecodeFramingCode];

/**
 * Stable reasons a GNSS source (NMEA on a port, or gpsd) counts an epoch or report it could not
 * turn into a good Reading; shared by both, since they judge positions by the same rules.
 */
export const GnssErrorCode = {
  /** An NMEA epoch closed without a latitude and longitude: no Reading. */
  NoPosition: 'GNSS_NO_POSITION',
  /** A gpsd TPV without a 2D or 3D fix (mode < 2) or without a position: no Reading. */
  NoFix: 'GNSS_NO_FIX',
  /** A value outside the plausibility bounds (plausibility.ts): left out, the Reading not ok. */
  Implausible: 'GNSS_IMPLAUSIBLE',
  /** The receiver's date disagrees with the host clock (or its floor) and no 1024-week step explains it (gnss-time.ts). */
  TimeImplausible: 'GNSS_TIME_IMPLAUSIBLE',
} as const;
export type GnssErrorCode = (typeof GnssErrorCode)[keyof typeof GnssErrorCode];

/** A rejected NMEA sentence (no stack trace, as every CodedError: see core/coded-error.ts). */
export class NmeaError extends CodedError<NmeaErrorCode> {}

import { CodedError } from '../../core/coded-error.ts';

/** Stable reasons for AIS input rejected by the codec, and what the AIS source counts beside them; the codes never change meaning. */
export const AisErrorCode = {
  /** The line is not an NMEA AIVDM/AIVDO sentence at all (comment, other talker, garbage). */
  NotASentence: 'AIS_NOT_A_SENTENCE',
  /** Sentence structure is wrong: field count, fragment numbers, fill bits. */
  Malformed: 'AIS_MALFORMED',
  BadChecksum: 'AIS_BAD_CHECKSUM',
  /** A payload character outside the 6-bit armouring alphabet (ITU-R M.1371-5 Annex 8 §3.3.7 / IEC 61162-1 Table 7). */
  BadArmour: 'AIS_BAD_ARMOUR',
  /** Fragment arrived with no earlier fragments, or not the one expected next. */
  FragmentOutOfOrder: 'AIS_FRAGMENT_OUT_OF_ORDER',
  /** A multi-fragment message never completed: timed out, or superseded by a new first fragment. */
  FragmentMissing: 'AIS_FRAGMENT_MISSING',
  UnsupportedType: 'AIS_UNSUPPORTED_TYPE',
  /** Payload shorter than the message type needs. */
  TooShort: 'AIS_TOO_SHORT',
  /** Payload longer than the message type allows (types 6, 8, 12, 14: 1008 bits; 17: 816; 15, 16: 168 as gpsd). */
  TooLong: 'AIS_TOO_LONG',
  /** A type 24 part B with no part A from the same MMSI to complete (gpsd-compatible merge mode). */
  Type24Unpaired: 'AIS_TYPE24_UNPAIRED',
  LineTooLong: 'AIS_LINE_TOO_LONG',
  /** The source's port went away (its supervisor reopens it); counted by AisSource. */
  LinkLost: 'AIS_LINK_LOST',
  /** Decoded, but not a unit's report (base station, aid to navigation, ...): counted by AisSource, no Reading (ais-source.ts UNIT_AIS_TYPES). */
  NotAUnit: 'AIS_NOT_A_UNIT',
  /** The payload decoder threw something other than an AisError: a bug here, counted and logged at error, never taken for bad input. */
  Internal: 'AIS_INTERNAL',
} as const;
export type AisErrorCode = (typeof AisErrorCode)[keyof typeof AisErrorCode];

/** An AIS rejection (no stack trace, as every CodedError: see core/coded-error.ts). */
export class AisError extends CodedError<AisErrorCode> {}

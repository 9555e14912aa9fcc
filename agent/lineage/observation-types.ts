/**
 * The observation's claim labels and the types around a signed observation (DESIGN.md, wire
 * contract v1), apart from the code that builds them so the payload writer can share them.
 */
import type { CborValue } from '../encoding/cbor-value.ts';

// Claim labels, DESIGN.md table (RFC 8392 §4 for 1, 6, 7; RFC 9711 EAT for 10, 256, 264).
export const CLAIM = {
  iss: 1,
  iat: 6,
  cti: 7,
  nonce: 10,
  ueid: 256,
  location: 264,
  kind: -65537,
  place: -65538,
  seq: -65539,
  prev: -65540,
  epoch: -65541,
  t: -65542,
  tq: -65543,
  cred: -65544,
  body: -65545,
} as const;

export type ObservationKind = 'envelope' | 'presence' | 'reservation' | 'checkpoint' | 'gap' | 'suspension' | 'time' | 'status';

export interface TimeQuality {
  src: 'gnss' | 'ntp' | 'rtc' | 'none';
  sync: boolean;
  errMs: number;
}

export interface Location {
  lat: number;
  lon: number;
  accuracyM: number;
  /** ms since the Unix epoch */
  t: number;
}

export interface ObservationDraft {
  kind: ObservationKind;
  place: string;
  /** ms since the Unix epoch */
  t: number;
  tq: TimeQuality;
  body: { [key: string]: CborValue };
  location?: Location;
  nonce?: Uint8Array;
}

export type { LineageHead } from '../../core/ports/store.ts';

export interface SignedObservation {
  seq: number;
  kind: ObservationKind;
  place: string;
  t: number;
  epoch: bigint;
  bytes: Uint8Array;
  /** h(): SHA-256 of the payload bytes inside `bytes`, the next observation's prev. */
  hash: Uint8Array;
  /**
   * How many leading bytes (tag, protected and unprotected headers) are the same for every
   * observation this chain signs with one identity; the store keeps them once.
   */
  prefixLength?: number;
}

export interface Identity {
  iss: string;
  ueid: Uint8Array;
  credential: Uint8Array;
  parents: Uint8Array[];
}


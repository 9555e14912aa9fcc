/**
 * One ES256 signature with node:crypto and its self-check, shared by the pool's threads and
 * the calling thread (which signs small batches itself). The check verifies the finished,
 * low-S signature against the public key: a signature damaged by a fault (memory, a bad
 * build, a corrupted buffer) is caught before anything commits it, and a faulty ECDSA
 * signature is also what fault attacks recover keys from, so it must never leave.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { normaliseSignatureInto } from './p256.ts';

/**
 * A batch shared by the signing threads (SharedArrayBuffers, nothing
 * copied per thread): each participant claims the next CLAIM messages with an atomic add
 * until none are left, so a thread slowed down by the rest of the machine simply takes fewer.
 */
export interface SharedBatch {
  id: number;
  n: number;
  /** Messages back to back. */
  bytes: SharedArrayBuffer;
  /** Int32: start offset of message i at i, end of the last at n. */
  offsets: SharedArrayBuffer;
  /** 64 bytes (r || s, low-S) per message, in order. */
  sigs: SharedArrayBuffer;
  /** Uint8 per message: 1 = verify before returning, 2 = damage it (fault injection), 3 = both. */
  flags: SharedArrayBuffer;
  /** Uint8 per message, set to 1 where the self-check failed. */
  failed: SharedArrayBuffer;
  /** Int32 [0]: the next unclaimed message. */
  next: SharedArrayBuffer;
}

export const CHECK = 1;
export const CORRUPT = 2;
const CLAIM = 8;

/** Signs claimed runs of the batch until none is left; returns how many this thread signed. */
export function signShared(key: KeyObject, pub: KeyObject, b: SharedBatch): number {
  const bytes = new Uint8Array(b.bytes);
  const offsets = new Int32Array(b.offsets);
  const sigs = new Uint8Array(b.sigs);
  const flags = new Uint8Array(b.flags);
  const failed = new Uint8Array(b.failed);
  const next = new Int32Array(b.next);
  // Each signature is made and checked in this private array, then copied into the shared one.
  const out = new Uint8Array(64);
  let copy = new Uint8Array(1024);
  let done = 0;
  for (;;) {
    const from = Atomics.add(next, 0, CLAIM);
    if (from >= b.n) return done;
    const to = Math.min(b.n, from + CLAIM);
    for (let i = from; i < to; i++) {
      // A private copy of the message: OpenSSL must not read bytes another thread could change.
      const len = offsets[i + 1]! - offsets[i]!;
      if (len > copy.length) copy = new Uint8Array(Math.max(len, 2 * copy.length));
      copy.set(bytes.subarray(offsets[i]!, offsets[i + 1]!));
      const msg = copy.subarray(0, len);
      if (!signOne(key, pub, msg, out, (flags[i]! & CHECK) !== 0, (flags[i]! & CORRUPT) !== 0)) failed[i] = 1;
      sigs.set(out, 64 * i);
    }
    done += to - from;
  }
}

/** Signs `message` into `out` (64 bytes); false if `check` was asked and the signature does not verify. */
export function signOne(key: KeyObject, pub: KeyObject, message: Uint8Array, out: Uint8Array, check: boolean, corrupt = false): boolean {
  const raw = cryptoSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  normaliseSignatureInto(raw.subarray(0, 32), raw.subarray(32, 64), out);
  if (corrupt) out[5] = out[5]! ^ 0x10;
  return !check || verifyOne(pub, message, out);
}

/** The self-check of a finished signature (64 bytes, r || s) against the signer's public key. */
export function verifyOne(pub: KeyObject, message: Uint8Array, sig: Uint8Array): boolean {
  return cryptoVerify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
}

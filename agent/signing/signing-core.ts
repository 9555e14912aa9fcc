/**
 * One ES256 signature with node:crypto and its self-check, shared by the pool's threads and
 * the calling thread (which signs small batches itself). The check verifies the finished,
 * low-S signature against the public key: a signature damaged by a fault (memory, a bad
 * build, a corrupted buffer) is caught before anything commits it, and a faulty ECDSA
 * signature is also what fault attacks recover keys from, so it must never leave.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { normaliseSignature } from './p256.ts';

/** A batch for a signing thread: the messages back to back in one transferred buffer. */
export interface SignRequest {
  id: number;
  bytes: ArrayBuffer;
  /** End offset of each message in `bytes`. */
  ends: number[];
  /** 1 where the signature must be verified before it is returned. */
  check: Uint8Array;
  /** Fault injection (tests): indexes whose signature is damaged right after signing. */
  corrupt: number[];
}

export interface SignReply {
  id: number;
  /** 64 bytes (r || s, low-S) per message, in order. */
  sigs: ArrayBuffer;
  /** Indexes whose self-check failed (their bytes in `sigs` must not be used). */
  failed: number[];
}

/** Signs `message` into `out` (64 bytes); false if `check` was asked and the signature does not verify. */
export function signOne(key: KeyObject, pub: KeyObject, message: Uint8Array, out: Uint8Array, check: boolean, corrupt = false): boolean {
  const raw = cryptoSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  out.set(normaliseSignature(raw.subarray(0, 32), raw.subarray(32, 64)));
  if (corrupt) out[5] = out[5]! ^ 0x10;
  return !check || cryptoVerify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, out);
}

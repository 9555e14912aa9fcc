/**
 * ECDSA signature shaping for P-256 (SEC 1 v2 §4.1; low-S as in BIP-62 and as noble-curves
 * v2 requires by default). Pure.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { EcdsaSignature } from './commands/sign.ts';
import { TpmError } from './tpm-error.ts';

const N = p256.Point.CURVE().n;
const HALF_N = N / 2n;
const N_BYTES = to32(N);
const HALF_N_BYTES = to32(HALF_N);

function to32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new TpmError('TPM_MALFORMED_RESPONSE', 'signature component exceeds 32 bytes');
  return out;
}

/** A TPM2B component left-padded to 32 bytes (the TPM drops leading zero bytes). */
function pad32(b: Uint8Array): Uint8Array {
  let start = 0;
  while (start < b.length && b[start] === 0) start++;
  const len = b.length - start;
  if (len > 32) throw new TpmError('TPM_MALFORMED_RESPONSE', 'signature component exceeds 32 bytes');
  const out = new Uint8Array(32);
  out.set(b.subarray(start), 32 - len);
  return out;
}

/** Big-endian compare of two 32-byte values. */
function cmp32(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const isZero = (a: Uint8Array) => a.every((x) => x === 0);

/** n - s over 32-byte big-endian values, s < n (byte-wise: no BigInt or string garbage per signature). */
function subFromN(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    let d = N_BYTES[i]! - s[i]! - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 256;
    out[i] = d;
  }
  return out;
}

/** Whether the TPM's s is above n/2 (about half of all TPM signatures). */
export function isHighS(sig: EcdsaSignature): boolean {
  return cmp32(pad32(sig.s), HALF_N_BYTES) > 0;
}

/** raw r || s, 64 bytes, each left-padded to 32, with s replaced by n - s when s > n/2. */
export function rawLowS(sig: EcdsaSignature): Uint8Array {
  const r = pad32(sig.r);
  let s = pad32(sig.s);
  if (isZero(r) || cmp32(r, N_BYTES) >= 0 || isZero(s) || cmp32(s, N_BYTES) >= 0) {
    throw new TpmError('TPM_MALFORMED_RESPONSE', 'ECDSA signature component out of range');
  }
  if (cmp32(s, HALF_N_BYTES) > 0) s = subFromN(s);
  const out = new Uint8Array(64);
  out.set(r, 0);
  out.set(s, 32);
  return out;
}

/** Verifies raw r || s over SHA-256(message), accepting high or low S (TPM attestations are not normalised). */
export function verifyP256(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return p256.verify(signature, sha256(message), publicKey, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

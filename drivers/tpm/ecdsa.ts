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

function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

function to32(v: bigint): Uint8Array {
  const h = v.toString(16).padStart(64, '0');
  if (h.length > 64) throw new TpmError('TPM_MALFORMED_RESPONSE', 'signature component exceeds 32 bytes');
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

/** Whether the TPM's s is above n/2 (about half of all TPM signatures). */
export function isHighS(sig: EcdsaSignature): boolean {
  return toBig(sig.s) > HALF_N;
}

/** raw r || s, 64 bytes, each left-padded to 32, with s replaced by n - s when s > n/2. */
export function rawLowS(sig: EcdsaSignature): Uint8Array {
  const r = toBig(sig.r);
  let s = toBig(sig.s);
  if (r <= 0n || r >= N || s <= 0n || s >= N) throw new TpmError('TPM_MALFORMED_RESPONSE', 'ECDSA signature component out of range');
  if (s > HALF_N) s = N - s;
  const out = new Uint8Array(64);
  out.set(to32(r), 0);
  out.set(to32(s), 32);
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

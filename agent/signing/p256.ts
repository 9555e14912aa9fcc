/**
 * P-256 helpers on raw bytes: low-S normalisation (the wire contract requires s <= n/2; TPMs
 * and OpenSSL return high-S about half the time) and ES256 verification with node:crypto
 * (OpenSSL). No curve arithmetic here: the one computation is n - s on 32-byte big-endian
 * numbers, which OpenSSL has no call for.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** The order n of the P-256 base point (FIPS 186-4 §D.1.2.3, SEC 2 v2 §2.4.2). */
const N_BYTES = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
/** floor(n / 2). */
const HALF_N_BYTES = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');

/** A big-endian integer left-padded to 32 bytes (TPM2B values may be shorter). */
function pad32(b: Uint8Array): Uint8Array {
  if (b.length === 32) return b;
  let start = 0;
  while (start < b.length - 32 && b[start] === 0) start++;
  if (b.length - start > 32) throw new RangeError('signature component longer than 32 bytes');
  const out = new Uint8Array(32);
  out.set(b.subarray(start), 32 - (b.length - start));
  return out;
}

/** s <= n/2, compared bytewise on a 32-byte big-endian s. */
function lowS32(s: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    if (s[i]! !== HALF_N_BYTES[i]!) return s[i]! < HALF_N_BYTES[i]!;
  }
  return true;
}

/** r || s, each left-padded to 32 bytes, with s flipped to n - s when it is high. */
export function normaliseSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  return normaliseSignatureInto(r, s, new Uint8Array(64));
}

/** normaliseSignature() written into `out` (64 bytes), which is returned. */
export function normaliseSignatureInto(r: Uint8Array, s: Uint8Array, out: Uint8Array): Uint8Array {
  const s32 = pad32(s);
  out.set(pad32(r), 0);
  if (lowS32(s32)) out.set(s32, 32);
  else {
    // n - s, bytewise big-endian subtraction (s < n for any valid signature).
    let borrow = 0;
    for (let i = 31; i >= 0; i--) {
      const d = N_BYTES[i]! - s32[i]! - borrow;
      out[32 + i] = d & 0xff;
      borrow = d < 0 ? 1 : 0;
    }
  }
  return out;
}

export function isLowS(sig: Uint8Array): boolean {
  return sig.length === 64 && lowS32(sig.subarray(32));
}

// Verifiers check many objects under few keys: parsed keys are kept, a bounded number of them.
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 256;

/** An uncompressed SEC1 P-256 point as a node:crypto key; OpenSSL checks it lies on the curve. */
export function p256PublicKey(pub: Uint8Array): KeyObject {
  const id = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('hex');
  let k = keyCache.get(id);
  if (!k) {
    if (pub.length !== 65 || pub[0] !== 4) throw new RangeError('not an uncompressed P-256 point');
    const x = Buffer.from(pub.subarray(1, 33)).toString('base64url');
    const y = Buffer.from(pub.subarray(33, 65)).toString('base64url');
    k = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, k);
  }
  return k;
}

/** ES256 verification of `message` (hashed with SHA-256 here) under an uncompressed public key. Low-S only. */
export function verifyEs256(sig: Uint8Array, message: Uint8Array, pub: Uint8Array): boolean {
  if (!isLowS(sig)) return false;
  try {
    return cryptoVerify('sha256', message, { key: p256PublicKey(pub), dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

export function isValidPublicKey(pub: Uint8Array): boolean {
  try {
    p256PublicKey(pub);
    return true;
  } catch {
    return false;
  }
}

/**
 * P-256 helpers on raw bytes: low-S normalisation (the wire contract requires s <= n/2; TPMs
 * and node:crypto return high-S about half the time) and verification with @noble/curves, the
 * portable verifier.
 */
import { p256 } from '@noble/curves/nist.js';

const N = p256.Point.CURVE().n;
const HALF_N = N >> 1n;

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function to32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Left-pads r and s to 32 bytes each and flips s to n - s when it is high. */
const HALF_N_BYTES = to32(HALF_N);
const N_BYTES = to32(N);

/** s <= n/2, compared bytewise on a 32-byte big-endian s (the common case needs no bigint). */
function lowS32(s: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    if (s[i]! !== HALF_N_BYTES[i]!) return s[i]! < HALF_N_BYTES[i]!;
  }
  return true;
}

export function normaliseSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  if (r.length === 32 && s.length === 32) {
    const out = new Uint8Array(64);
    out.set(r, 0);
    if (lowS32(s)) out.set(s, 32);
    else {
      // n - s, bytewise big-endian subtraction (s < n for any valid signature).
      let borrow = 0;
      for (let i = 31; i >= 0; i--) {
        const d = N_BYTES[i]! - s[i]! - borrow;
        out[32 + i] = d & 0xff;
        borrow = d < 0 ? 1 : 0;
      }
    }
    return out;
  }
  const sv = toBig(s);
  const out = new Uint8Array(64);
  out.set(to32(toBig(r)), 0);
  out.set(to32(sv > HALF_N ? N - sv : sv), 32);
  return out;
}

export function isLowS(sig: Uint8Array): boolean {
  return sig.length === 64 && toBig(sig.subarray(32)) <= HALF_N;
}

/** ES256 verification of `message` (hashed with SHA-256 here) under an uncompressed public key. Low-S only. */
export function verifyEs256(sig: Uint8Array, message: Uint8Array, pub: Uint8Array): boolean {
  try {
    return p256.verify(sig, message, pub);
  } catch {
    return false;
  }
}

export function isValidPublicKey(pub: Uint8Array): boolean {
  try {
    p256.Point.fromBytes(pub).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Parses a DER ECDSA-Sig-Value (SEC 1 §C.8: SEQUENCE { r INTEGER, s INTEGER }) into r and s. */
export function derToRS(der: Uint8Array): { r: Uint8Array; s: Uint8Array } {
  let i = 0;
  const expect = (tag: number) => {
    if (der[i++] !== tag) throw new Error('bad DER signature');
  };
  const readLen = (): number => {
    let len = der[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = (len << 8) | der[i++]!;
    }
    return len;
  };
  expect(0x30);
  readLen();
  expect(0x02);
  const rl = readLen();
  const r = der.subarray(i, i + rl);
  i += rl;
  expect(0x02);
  const sl = readLen();
  const s = der.subarray(i, i + sl);
  return { r, s };
}

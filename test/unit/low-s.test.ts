/** Low-S normalisation (wire contract: s <= n/2): the bytewise fast path agrees with bigint arithmetic on both sides of n/2. */
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { normaliseSignature, isLowS } from '../../agent/signing/p256.ts';
import { seededRandom } from '../support/prng.ts';

const N = p256.Point.CURVE().n;
const hex32 = (v: bigint) => v.toString(16).padStart(64, '0');
const bytes = (v: bigint) => Uint8Array.from(Buffer.from(hex32(v), 'hex'));

describe('normaliseSignature', () => {
  it('keeps low s, flips high s to n - s, and always yields 64 low-S bytes', () => {
    const rnd = seededRandom(3);
    const r = bytes(12345n);
    const cases = [1n, N / 2n, N / 2n + 1n, N - 1n];
    for (let i = 0; i < 500; i++) cases.push(BigInt('0x' + Array.from({ length: 64 }, () => Math.floor(rnd() * 16).toString(16)).join('')) % N || 1n);
    for (const s of cases) {
      const out = normaliseSignature(r, bytes(s));
      const want = s > N / 2n ? N - s : s;
      expect(Buffer.from(out.subarray(32)).toString('hex')).toBe(hex32(want));
      expect(Buffer.from(out.subarray(0, 32)).equals(Buffer.from(r))).toBe(true);
      expect(isLowS(out)).toBe(true);
    }
  });

  it('left-pads short r and s (TPM2B values may be shorter than 32 bytes)', () => {
    const out = normaliseSignature(Uint8Array.of(1, 2), Uint8Array.of(3));
    expect(out.length).toBe(64);
    expect(out[31]).toBe(2);
    expect(out[63]).toBe(3);
  });
});

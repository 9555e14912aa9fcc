/**
 * Offline/online ECDSA (agent/signing/presign.ts): signatures made with nonces precomputed in
 * the worker verify under two independent verifiers, never reuse a nonce, fall back to
 * node:crypto when the pool is empty, and a wrong precomputed value is caught by the
 * self-check, which turns presigning off rather than emit a bad signature.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import type { Presigner } from '../../agent/signing/presign.ts';
import type { NonceBatch } from '../../agent/signing/nonce-worker.ts';

const N = p256.Point.CURVE().n;
let signer: SoftwareSigner | undefined;
afterEach(async () => {
  await signer?.close();
  signer = undefined;
});

describe('presigned software signatures', () => {
  it('2,000 signatures from precomputed nonces verify (noble and node:crypto), are low-S and never repeat r', async () => {
    signer = SoftwareSigner.generate();
    const pre = signer.startPresigning({ batch: 256 });
    const pub = await signer.publicKey();
    const keyObj = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(pub.subarray(1, 33)).toString('base64url'), y: Buffer.from(pub.subarray(33)).toString('base64url') }, format: 'jwk' });
    const rs = new Set<string>();
    let made = 0;
    while (made < 2000) {
      await pre.whenReady(256);
      for (let i = 0; i < 200; i++, made++) {
        const msg = new TextEncoder().encode(`obs ${made}`);
        const sig = signer.signSync(msg);
        expect(p256.verify(sig, msg, pub)).toBe(true);
        expect(verify('sha256', msg, { key: keyObj, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
        expect(BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex')) <= N / 2n).toBe(true);
        rs.add(Buffer.from(sig.subarray(0, 32)).toString('hex'));
      }
    }
    expect(pre.stats.presigned).toBe(2000);
    expect(pre.stats.fallback).toBe(0);
    expect(rs.size).toBe(2000);
  });

  it('signs with node:crypto when no nonce is ready, and counts it', async () => {
    signer = SoftwareSigner.generate();
    const pre = signer.startPresigning({ batch: 16 });
    await pre.whenReady(16);
    const pub = await signer.publicKey();
    // Drain faster than the worker can refill (no awaits in between).
    for (let i = 0; i < 200; i++) {
      const msg = Uint8Array.of(i);
      expect(p256.verify(signer.signSync(msg), msg, pub)).toBe(true);
    }
    expect(pre.stats.presigned).toBeGreaterThan(0);
    expect(pre.stats.fallback).toBeGreaterThan(0);
    expect(pre.stats.presigned + pre.stats.fallback).toBe(200);
  });

  it('clears a record as its nonce is taken', async () => {
    signer = SoftwareSigner.generate();
    const pre = signer.startPresigning({ batch: 8 });
    await pre.whenReady(8);
    const batch = (pre as unknown as { batches: NonceBatch[] }).batches[0]!;
    expect(batch.r.subarray(0, 32).some((b) => b !== 0)).toBe(true);
    expect(batch.kinv[0]).not.toBe(0n);
    signer.signSync(Uint8Array.of(1));
    expect(batch.r.subarray(0, 32).every((b) => b === 0)).toBe(true);
    expect([batch.kinv[0], batch.t[0]]).toEqual([0n, 0n]);
    expect(batch.kinv[1]).not.toBe(0n);
  });

  it('a corrupted precomputed value fails the self-check: presigning stops, the signature comes from node:crypto', async () => {
    const errors: Error[] = [];
    signer = SoftwareSigner.generate();
    const pre: Presigner = signer.startPresigning({ batch: 8, onError: (e) => errors.push(e) });
    await pre.whenReady(8);
    const batch = (pre as unknown as { batches: NonceBatch[] }).batches[0]!;
    batch.t[0] = batch.t[0]! ^ 1n; // k⁻¹·r·d of the first nonce
    const pub = await signer.publicKey();
    const msg = Uint8Array.of(9, 9);
    const sig = signer.signSync(msg);
    expect(p256.verify(sig, msg, pub)).toBe(true);
    expect(pre.stats.selfCheckFailures).toBe(1);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('self-check')]);
    expect(pre.trySign(msg)).toBeUndefined();
  });
});

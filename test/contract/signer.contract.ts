/**
 * The contract every Signer must pass (software, TPM): signatures verify under the exported
 * key with an independent verifier (@noble/curves), are low-S, are 64 raw bytes, the public
 * key is stable across calls, and concurrent signing is safe.
 */
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Signer } from '../../core/ports/signer.ts';

const N = p256.Point.CURVE().n;

export function signerContract(name: string, make: () => Promise<Signer>, opts: { signatures?: number } = {}): void {
  const count = opts.signatures ?? 64;
  describe(`Signer contract: ${name}`, () => {
    it('exports an uncompressed P-256 public key that is stable across calls', async () => {
      const s = await make();
      try {
        const a = await s.publicKey();
        const b = await s.publicKey();
        expect(a.length).toBe(65);
        expect(a[0]).toBe(0x04);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
        expect(() => p256.Point.fromBytes(a)).not.toThrow();
      } finally {
        await s.close();
      }
    });

    it(`makes ${count} low-S signatures that an independent verifier accepts and rejects when altered`, async () => {
      const s = await make();
      try {
        const pub = await s.publicKey();
        for (let i = 0; i < count; i++) {
          const msg = new TextEncoder().encode(`observation ${i}`);
          const sig = await s.sign(msg);
          expect(sig.length).toBe(64);
          const sv = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
          expect(sv <= N / 2n).toBe(true);
          // noble v2 verifies low-S only by default, and hashes the message itself.
          expect(p256.verify(sig, msg, pub)).toBe(true);
          const tampered = msg.slice();
          tampered[0] = tampered[0]! ^ 1;
          expect(p256.verify(sig, tampered, pub)).toBe(false);
          expect(p256.verify(sig, sha256(msg), pub, { prehash: false })).toBe(true);
        }
      } finally {
        await s.close();
      }
    });

    it('signs concurrently without mixing up messages', async () => {
      const s = await make();
      try {
        const pub = await s.publicKey();
        const msgs = Array.from({ length: 24 }, (_, i) => new TextEncoder().encode(`concurrent ${i}`));
        const sigs = await Promise.all(msgs.map((m) => s.sign(m)));
        sigs.forEach((sig, i) => expect(p256.verify(sig, msgs[i]!, pub)).toBe(true));
      } finally {
        await s.close();
      }
    });
  });
}

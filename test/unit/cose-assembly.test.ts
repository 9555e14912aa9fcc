/** The hot path assembles COSE bytes by concatenation; they must equal the deterministic encoder's, byte for byte, at every length boundary. */
import { describe, expect, it } from 'vitest';
import { assembleSign1, encodeSign1, sigStructure, sigStructureFast } from '../../agent/encoding/cose-sign1.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import type { CborMapKey, CborValue } from '../../agent/encoding/cbor-value.ts';
import { seededRandom } from '../support/prng.ts';

describe('COSE_Sign1 assembly', () => {
  it('matches encodeSign1 and sigStructure for payloads around every length boundary', () => {
    const rnd = seededRandom(7);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    const protectedBytes = bytes(40);
    for (const n of [0, 1, 23, 24, 25, 255, 256, 257, 1000, 65535, 65536, 70000]) {
      const payload = bytes(n);
      const unprotected = new Map<CborMapKey, CborValue>([
        [13, bytes(600)],
        [-65601, [bytes(500)]],
      ]);
      const sig = bytes(64);
      expect(Buffer.from(assembleSign1(protectedBytes, encodeDeterministic(unprotected), payload, sig)).equals(Buffer.from(encodeSign1({ protectedBytes, unprotected, payload, signature: sig })))).toBe(true);
      expect(Buffer.from(sigStructureFast(protectedBytes, payload)).equals(Buffer.from(sigStructure(protectedBytes, payload)))).toBe(true);
    }
  });
});

/** Seqs that a signed gap observation declares unpublished are not reported as a lineage gap; undeclared ones still are. */
import { describe, expect, it } from 'vitest';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import type { ObservationClaims } from '../../agent/verify/observation-verifier.ts';
import { compressRanges } from '../../agent/runtime/place-agent.ts';

const claims = (seq: number, prevByte: number): ObservationClaims => ({
  iss: 'urn:place-agent:x',
  seq,
  prev: new Uint8Array(32).fill(prevByte),
  epoch: 1n,
  kind: 'envelope',
  place: 'urn:place:X:1',
  t: seq,
  iat: 0,
  cti: new Uint8Array(16),
  body: new Map(),
  raw: new Map(),
});
const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);

describe('declared gaps', () => {
  it('accepts a hole the chain itself declared and still reports one it did not', () => {
    const v = new LineageVerifier();
    expect(v.add(claims(1, 0), hash(1))).toEqual([]);
    v.declareGap('urn:place-agent:x', [2, 3]);
    expect(v.add(claims(4, 3), hash(4))).toEqual([]);
    expect(v.add(claims(6, 5), hash(6)).map((f) => f.code)).toEqual(['LINEAGE_GAP']);
  });

  it('compresses seqs into runs for the gap body', () => {
    expect(compressRanges([7, 3, 4, 5, 9, 10])).toEqual([
      [3, 5],
      [7, 7],
      [9, 10],
    ]);
  });
});

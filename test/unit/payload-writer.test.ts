/**
 * The payload fast path (agent/lineage/payload.ts) writes claims in a fixed order; it must give
 * the same bytes as the reference, buildPayload(), which sorts a generic map through the
 * deterministic encoder (itself proven against cborg in cbor-differential.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { PayloadWriter } from '../../agent/lineage/payload.ts';
import { buildPayload, type Identity, type ObservationDraft, type ObservationKind } from '../../agent/lineage/observation.ts';
import { CborFloat, type CborValue } from '../../agent/encoding/cbor-value.ts';
import { sha256 } from '../../agent/encoding/cose-key.ts';
import { Prng } from '../support/prng.ts';

const KINDS: ObservationKind[] = ['envelope', 'presence', 'reservation', 'checkpoint', 'gap', 'suspension', 'time', 'status'];

function randomValue(r: Prng, depth: number): CborValue {
  switch (r.int(depth > 2 ? 6 : 8)) {
    case 0:
      return r.pick([0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -24, -25, -(2 ** 32), -(2 ** 53 - 1)]);
    case 1:
      return r.int(2 ** 31) - 2 ** 30;
    case 2:
      return new CborFloat(r.pick([0.5, 0.97, -1.25, 1e300, 3.14159, 65504, 1 / 3]));
    case 3:
      return r.pick(['', 'a', 'radar', 'ünïcødé', 'x'.repeat(30)]);
    case 4:
      return r.bytes(r.int(40));
    case 5:
      return r.pick([true, false, null]);
    case 6:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const o: { [k: string]: CborValue } = {};
      for (let i = r.int(5); i > 0; i--) o[r.pick(['occupied', 'a', 'zz', 'conf', 'sources', 'seqs', 'b'])] = randomValue(r, depth + 1);
      return o;
    }
  }
}

function randomDraft(r: Prng): ObservationDraft {
  const body: { [k: string]: CborValue } = {};
  for (let i = r.int(6); i > 0; i--) body[r.pick(['dims', 'unit', 'reason', 'head', 'n', 'window', 'x'])] = randomValue(r, 0);
  return {
    kind: r.pick(KINDS),
    place: r.pick(['urn:place:DEHAM:berth:42', 'urn:place:X:dock:1', 'urn:place:' + 'q'.repeat(r.int(300))]),
    t: r.pick([0, 1_700_000_000_123, 2 ** 41 + r.int(1e6), Date.now()]),
    tq: { src: r.pick(['gnss', 'ntp', 'rtc', 'none'] as const), sync: r.next() < 0.5, errMs: r.pick([0, 5, 100, 2.5, 1e6, 70000]) },
    body,
    ...(r.next() < 0.3 ? { nonce: r.bytes(r.pick([0, 16, 32])) } : {}),
    ...(r.next() < 0.3 ? { location: { lat: r.next() * 180 - 90, lon: r.pick([0, 9.97, -122.5]), accuracyM: r.pick([1, 2.5, 1000]), t: r.int(2 ** 41) } } : {}),
  };
}

describe('PayloadWriter', () => {
  it('writes the same bytes as the generic deterministic encoding on 5,000 generated observations', () => {
    const r = new Prng(0x9a7);
    for (let i = 0; i < 5000; i++) {
      const id: Identity = { iss: r.pick(['urn:place-agent:01ab', 'urn:x:' + 'z'.repeat(r.int(200))]), ueid: r.bytes(17), credential: r.bytes(50 + r.int(500)), parents: [] };
      const credHash = sha256(id.credential);
      const w = new PayloadWriter(id, credHash);
      for (let j = 0; j < 3; j++) {
        const d = randomDraft(r);
        const seq = r.pick([1, 23, 24, 65536, 2 ** 32, 2 ** 53 - 1, r.int(1e9) + 1]);
        const epoch = r.pick([0n, 1n, 255n, 2n ** 32n, 2n ** 64n - 1n]);
        const prev = r.bytes(32);
        const cti = r.bytes(16);
        expect(Buffer.from(w.encode(d, seq, prev, epoch, cti)).toString('hex')).toBe(Buffer.from(buildPayload(d, id, credHash, seq, prev, epoch, cti)).toString('hex'));
      }
    }
  });
});

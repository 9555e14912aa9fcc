/** Retention: delivered observations past the cutoff go to an audit file first, then leave the store; undelivered ones and the head stay. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservationStore } from '../../agent/store/store.ts';
import { ObservationChain, type ObservationDraft } from '../../agent/lineage/observation.ts';
import { decodeCborSequence } from '../../agent/encoding/cbor-decode.ts';
import { identityOf, makeChain } from './authority-fixture.ts';

const draft = (t: number): ObservationDraft => ({ kind: 'envelope', place: 'urn:place:T:1', t, tq: { src: 'rtc', sync: false, errMs: 1000 }, body: { dims: {} } });

describe('retention', () => {
  it('archives then prunes only delivered observations older than the cutoff, never the head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-ret-'));
    try {
      const store = new ObservationStore(join(dir, 'a.db'));
      const authority = await makeChain();
      const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), store.head());
      await chain.prime();
      const rows = Array.from({ length: 10 }, (_, i) => chain.appendSync(draft(1000 + i)));
      store.commit(rows.map((obs) => ({ obs, topic: 't', retain: false })));
      store.markDeliveredMany([1, 2, 3, 5, 6, 10], 5000); // 4 is undelivered; 10 is the head
      const r = store.archiveAndPrune(1008, join(dir, 'audit')); // seqs 1..8 are older than the cutoff
      expect(r.archived).toBe(5); // 1, 2, 3, 5, 6
      const archived = [...decodeCborSequence(new Uint8Array(readFileSync(r.file!)))].map((x) => Buffer.from(x.bytes));
      expect(archived.map((b) => b.equals(Buffer.from(rows[[1, 2, 3, 5, 6][archived.indexOf(b)]! - 1]!.bytes)))).toEqual([true, true, true, true, true]);
      expect([...store.observations()].map((o) => o.seq)).toEqual([4, 7, 8, 9, 10]);
      expect(store.pending(0, 100).map((p) => p.seq)).toEqual([4, 7, 8, 9]);
      expect(store.head().seq).toBe(10);
      expect(store.archiveAndPrune(1008, join(dir, 'audit')).archived).toBe(0);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

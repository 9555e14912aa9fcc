/**
 * What any store must do for the signing log (ChainStore), the publisher (OutboxReader) and
 * operations (StoreHealth), as MQTT.js runs one suite against every store it has. Run by
 * store.test.ts against ObservationStore on disk and in memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChainStore, OutboxReader, StoreHealth } from '../../core/ports/store.ts';
import { ObservationChain, GENESIS_PREV, type ObservationDraft, type SignedObservation } from '../../agent/lineage/observation.ts';
import type { Committable } from '../../agent/store/store.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';

export type ContractStore = ChainStore<Committable> & OutboxReader & StoreHealth & { close(): void };

export function storeContract(name: string, open: () => ContractStore): void {
  describe(`Store contract: ${name}`, () => {
    let authority: Chain;
    beforeAll(async () => {
      authority = await makeChain();
    });

    const draft = (i: number): ObservationDraft => ({ kind: 'envelope', place: PLACE, t: NOW * 1000 + i, tq: { src: 'rtc', sync: false, errMs: 2000 }, body: { i } });
    async function signed(store: ContractStore, count: number): Promise<SignedObservation[]> {
      const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), store.head());
      await chain.prime();
      const out: SignedObservation[] = [];
      for (let i = 0; i < count; i++) out.push(await chain.append(draft(i)));
      return out;
    }
    const rows = (obs: SignedObservation[]): Committable[] => obs.map((o) => ({ obs: o, topic: observationTopic(o.place, o.kind), retain: false }));

    it('starts at the genesis head with an empty outbox', () => {
      const s = open();
      expect(s.head()).toEqual({ seq: 0, hash: GENESIS_PREV, epoch: expect.any(BigInt) });
      expect(s.outboxStats().depth).toBe(0);
      expect(s.pending(0, 10)).toEqual([]);
      s.close();
    });

    it('moves the head to the last committed link and offers the batch in seq order with its exact bytes', async () => {
      const s = open();
      s.setEpoch(1n);
      const obs = await signed(s, 5);
      s.commit(rows(obs));
      expect(s.head().seq).toBe(5);
      expect(Buffer.from(s.head().hash).equals(Buffer.from(obs[4]!.hash))).toBe(true);
      const pending = s.pending(0, 100);
      expect(pending.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      pending.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(obs[i]!.bytes))).toBe(true));
      expect(pending[0]!.topic).toBe(observationTopic(PLACE, 'envelope'));
      expect(s.pending(2, 2).map((r) => r.seq)).toEqual([3, 4]);
      expect(s.outboxStats()).toEqual({ depth: 5, oldestT: obs[0]!.t });
      s.close();
    });

    it('marks PUBACKed rows delivered: they leave the outbox, the rest stay in order', async () => {
      const s = open();
      s.setEpoch(1n);
      s.commit(rows(await signed(s, 4)));
      s.markDeliveredMany([1, 3], NOW * 1000);
      expect(s.pending(0, 100).map((r) => r.seq)).toEqual([2, 4]);
      expect(s.outboxStats().depth).toBe(2);
      s.markDeliveredMany([2, 4], NOW * 1000);
      expect(s.outboxStats()).toEqual({ depth: 0, oldestT: undefined });
      s.close();
    });

    it('continues the chain across batches and answers the writability probe', async () => {
      const s = open();
      s.setEpoch(1n);
      s.commit(rows(await signed(s, 2)));
      s.commit(rows(await signed(s, 3)));
      expect(s.head().seq).toBe(5);
      expect(s.pending(0, 100).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(() => s.probeWritable()).not.toThrow();
      s.close();
    });
  });
}

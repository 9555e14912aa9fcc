/**
 * Drafts still queued when the agent gives up at shutdown (its final flush failed) are lost to
 * the chain: each submitter is told LOG_ABANDONED, and the log counts every one of them, so an
 * operator sees on /metrics how many observations a stop lost.
 */
import { describe, expect, it } from 'vitest';
import { ObservationChain, GENESIS_PREV, type ObservationDraft } from '../../agent/lineage/observation.ts';
import { ObservationLog } from '../../agent/lineage/observation-log.ts';
import { StoreError, type Committable } from '../../agent/store/store.ts';
import type { ChainStore } from '../../core/ports/store.ts';
import { silentLogger } from '../../core/log.ts';
import { NOW, PLACE, identityOf, makeChain } from './authority-fixture.ts';

const draft = (i: number): ObservationDraft => ({ kind: 'status', place: PLACE, t: NOW * 1000 + i, tq: { src: 'rtc', sync: false, errMs: 2000 }, body: { i } });

describe('abandoning the queue', () => {
  it('rejects every queued draft with LOG_ABANDONED and counts each one', async () => {
    const authority = await makeChain([{}, {}]);
    const head = { seq: 0, hash: GENESIS_PREV, epoch: 1n };
    const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), head);
    await chain.prime();
    // A disk that stays full: nothing ever commits, the drafts stay queued for a retry.
    const full: ChainStore<Committable> = {
      head: () => head,
      setEpoch: () => undefined,
      commit: () => {
        throw new StoreError('STORE_FULL', 'database or disk is full');
      },
    };
    const log = new ObservationLog(chain, full, { logger: silentLogger, retryMs: 3_600_000 });
    const outcomes = Array.from({ length: 5 }, (_, i) => log.submit(draft(i)).then(() => 'committed', (e: { code?: string }) => e.code));
    await log.drain();
    expect(log.errors.snapshot()).toMatchObject({ STORE_FULL: 1 });
    log.abandon('agent stopping');
    expect(await Promise.all(outcomes)).toEqual(Array(5).fill('LOG_ABANDONED'));
    expect(log.errors.snapshot()).toMatchObject({ STORE_FULL: 1, LOG_ABANDONED: 5 });
  });
});

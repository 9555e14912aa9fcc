/**
 * Tasks the running agent starts and does not wait for (the envelope and presence ticks, the
 * signed gap's bookkeeping, a grant's answer being named in the store, a new revocation list's
 * consequences)
 * never leave a rejection unhandled, which would stop the process: a failure is counted under
 * its code (BACKGROUND_TASK_FAILED, or the store's own, e.g. SQLITE_FULL), logged at error with
 * the task, and the agent goes on signing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedLog } from '../support/captured-log.ts';
import { issueGrant } from '../../agent/authority/grant.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { collectUnhandledRejections } from '../support/unhandled-rejections.ts';
import { NOW, PLACE, makeChain, type Chain } from '../unit/authority-fixture.ts';

const sqliteFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('background tasks of a running agent', () => {
  let dir: string;
  let chain: Chain;
  let running: ChainAgent;
  const { lines, logger } = capturedLog();
  const unhandled = collectUnhandledRejections();
  const t0 = performance.now();
  const clock = { now: () => Math.floor(NOW * 1000 + (performance.now() - t0)) };
  const errorLine = (task: string) => lines.find((l) => l.level === 'error' && l.task === task);
  const settle = () => new Promise((r) => setTimeout(r, 50));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-background-'));
    chain = await makeChain([{}, { level: 'authority', depth: 1 }, {}]);
    running = chainAgent({ chain, db: join(dir, 'agent.db'), clock, clientId: 'background', logger });
    await running.agent.start();
  });

  afterAll(async () => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an envelope tick that throws is counted and logged, and the next ticks sign envelopes', async () => {
    const emitter = (running.agent as unknown as { envelopeEmitter: { periodic: () => Promise<unknown> } }).envelopeEmitter;
    const periodic = emitter.periodic.bind(emitter);
    const failedBefore = running.agent.errors.get('BACKGROUND_TASK_FAILED');
    let calls = 0;
    emitter.periodic = () => {
      calls++;
      if (calls === 1) throw new TypeError('envelope bug');
      return periodic();
    };
    try {
      await waitFor(() => errorLine('envelope') !== undefined, 10_000, 'the envelope failure logged');
      const before = running.committed.filter((o) => o.kind === 'envelope').length;
      await waitFor(() => running.committed.filter((o) => o.kind === 'envelope').length > before, 10_000, 'an envelope signed after the failure');
      expect(errorLine('envelope')).toMatchObject({ code: 'BACKGROUND_TASK_FAILED', error: { name: 'TypeError' } });
      expect(running.agent.errors.get('BACKGROUND_TASK_FAILED')).toBe(failedBefore + 1);
      expect(unhandled).toEqual([]);
    } finally {
      emitter.periodic = periodic;
    }
  });

  it('a signed gap whose bookkeeping write fails is counted under the store code; its seqs stay pending', async () => {
    const store = running.store as unknown as { clearPendingGap: (seqs: number[]) => void };
    const clear = store.clearPendingGap.bind(store);
    store.clearPendingGap = () => {
      throw sqliteFull();
    };
    const fullBefore = running.agent.errors.get('SQLITE_FULL');
    try {
      const gaps = running.committed.filter((o) => o.kind === 'gap').length;
      (running.agent as unknown as { emitGap: (seqs: number[]) => void }).emitGap([7]);
      await waitFor(() => errorLine('gap') !== undefined, 10_000, 'the gap bookkeeping failure logged');
      await settle();
      expect(running.committed.filter((o) => o.kind === 'gap').length).toBe(gaps + 1);
      expect(errorLine('gap')).toMatchObject({ code: 'SQLITE_FULL' });
      expect(running.agent.errors.get('SQLITE_FULL')).toBe(fullBefore + 1);
      expect(unhandled).toEqual([]);
    } finally {
      store.clearPendingGap = clear;
    }
  });

  it('an accepted grant whose answer cannot be named in the store is still tracked and answered', async () => {
    const grants = running.store.grants as unknown as { named: (hash: Uint8Array, seq: number) => void };
    const named = grants.named.bind(grants);
    grants.named = () => {
      throw sqliteFull();
    };
    const fullBefore = running.agent.errors.get('SQLITE_FULL');
    try {
      const window: [number, number] = [clock.now() + 60_000, clock.now() + 600_000];
      const grant = await issueGrant({ issuer: 'urn:authority:1', place: PLACE, reservation: 'R-bg', unit: ['mmsi', '211331640'], window, toleranceM: 50, graceMs: 60_000, nowMs: clock.now() }, chain.links[1]!.signer, chain.links[1]!.bytes, [chain.links[0]!.bytes]);
      expect(running.agent.acceptGrant(grant)).toBe(true);
      await waitFor(() => errorLine('grant answer') !== undefined, 10_000, 'the naming failure logged');
      await settle();
      expect(errorLine('grant answer')).toMatchObject({ code: 'SQLITE_FULL' });
      expect(running.agent.errors.get('SQLITE_FULL')).toBe(fullBefore + 1);
      expect(running.committed.some((o) => o.kind === 'reservation')).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      grants.named = named;
    }
  });

  it('a presence tick that throws is counted and logged, and the next ticks run', async () => {
    const presence = (running.agent as unknown as { presence: { tick: (now: number) => unknown[] } }).presence;
    const tick = presence.tick.bind(presence);
    let calls = 0;
    presence.tick = (now) => {
      calls++;
      if (calls === 1) throw new TypeError('presence bug');
      return tick(now);
    };
    try {
      await waitFor(() => errorLine('presence') !== undefined, 10_000, 'the presence failure logged');
      await waitFor(() => calls >= 2, 10_000, 'the next presence tick');
      expect(errorLine('presence')).toMatchObject({ code: 'BACKGROUND_TASK_FAILED', error: { name: 'TypeError' } });
      expect(unhandled).toEqual([]);
    } finally {
      presence.tick = tick;
    }
  });

  it('a new revocation list whose consequences throw is counted and logged, and signing goes on', async () => {
    const credential = running.agent.trust.credential as unknown as { checkRevoked: () => Promise<void> };
    const check = credential.checkRevoked.bind(credential);
    credential.checkRevoked = () => Promise.reject(new RangeError('revocation bug'));
    const failedBefore = running.agent.errors.get('BACKGROUND_TASK_FAILED');
    try {
      // The callback the revocation intake calls once it accepted a list.
      (running.agent.trust.revocations as unknown as { o: { onList: () => void } }).o.onList();
      await waitFor(() => errorLine('revocation list') !== undefined, 10_000, 'the list failure logged');
      await settle();
      expect(errorLine('revocation list')).toMatchObject({ code: 'BACKGROUND_TASK_FAILED', error: { name: 'RangeError' } });
      expect(running.agent.errors.get('BACKGROUND_TASK_FAILED')).toBe(failedBefore + 1);
      const n = running.committed.length;
      await waitFor(() => running.committed.length > n, 10_000, 'signing goes on');
      expect(unhandled).toEqual([]);
    } finally {
      credential.checkRevoked = check;
    }
  });
});

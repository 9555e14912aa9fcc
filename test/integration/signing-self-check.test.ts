/**
 * The write path with parallel signing (ObservationLog → ObservationChain.prepare → the
 * software key's SigningPool → commit → ThreadedPublisher → mosquitto) under fault injection:
 * one signature damaged anywhere in a batch is caught by the self-check before the commit.
 * Transient (the re-sign is good): every committed and every published observation verifies,
 * the chain is unbroken. Persistent: the batch is not committed and nothing of it is published
 * until signing is sound again; then it commits with no seq skipped or repeated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { ObservationStore } from '../../agent/store/store.ts';
import { ObservationChain, GENESIS_PREV, type ObservationDraft } from '../../agent/lineage/observation.ts';
import { ObservationLog } from '../../agent/lineage/observation-log.ts';
import { ThreadedPublisher } from '../../agent/transport/threaded-publisher.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { silentLogger } from '../../core/log.ts';
import { storedObservations } from '../support/stored-observations.ts';
import { seededRandom } from '../support/prng.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';
import { waitFor } from './agent-process.ts';

let broker: Mosquitto;
const dir = mkdtempSync(join(tmpdir(), 'pa-selfcheck-'));
let n = 0;
const open: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c();
});
afterAll(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  authority: Chain;
  store: ObservationStore;
  log: ObservationLog;
  path: string;
  published: Buffer[];
  /** Message index (within a signing batch) to damage, and on which attempts. */
  fault: { at: number; attempts: (0 | 1)[] } | undefined;
}

async function rig(): Promise<Rig> {
  const authority = await makeChain();
  const path = join(dir, `agent-${++n}.db`);
  const store = new ObservationStore(path);
  const r: Rig = { authority, store, log: undefined as unknown as ObservationLog, path, published: [], fault: undefined };
  // Threads for batches of 32 and up, every signature checked (the default samples threaded
  // batches: signing-pool.test.ts); the fault hook sees each message's index in its batch.
  authority.leaf.signer.configurePool({ maxThreads: 2, inlineBelow: 32, check: 'all', faults: (i, attempt) => r.fault !== undefined && r.fault.at === i && r.fault.attempts.includes(attempt) });
  const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  await chain.prime();
  const pub = new ThreadedPublisher(store, { url: broker.url, clientId: `selfcheck-${n}`, place: PLACE, logger: silentLogger, birth: () => ({}) });
  r.log = new ObservationLog(chain, store, { logger: silentLogger, retryMs: 100, onCommitted: (_b, rows) => pub.offer(rows.map((x) => ({ seq: x.obs.seq, topic: x.topic, retain: x.retain, bytes: x.obs.bytes, kind: x.obs.kind }))) });
  const sub = await mqtt.connectAsync(broker.url, { clientId: `selfcheck-sub-${n}`, protocolVersion: 5 });
  sub.on('message', (_t, payload, packet) => {
    if (payload[0] === 0xd2 && !packet.retain) r.published.push(payload);
  });
  await sub.subscribeAsync(`pm/v1/${PLACE}/presence/#`, { qos: 1 });
  pub.start();
  await new Promise<void>((res) => pub.onConnected(res));
  open.push(async () => {
    await pub.stop();
    await sub.endAsync(true);
    await authority.leaf.signer.close();
    store.close();
  });
  return r;
}

const draft = (i: number): ObservationDraft => ({ kind: 'presence', place: PLACE, t: NOW * 1000 + i, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i } });

/** Every stored row verifies under the anchor, seqs 1..count in order, each prev the hash of the one before. */
function expectSoundChain(r: Rig, count: number): void {
  const verifier = new ObservationVerifier([r.authority.anchor]);
  const rows = storedObservations(r.path);
  expect(rows.map((x) => x.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  let prev: Uint8Array = GENESIS_PREV;
  for (const row of rows) {
    const c = verifier.check(row.bytes);
    expect(c.ok ? 'ok' : `${c.code}: ${c.reason}`, `seq ${row.seq}`).toBe('ok');
    if (!c.ok) return;
    expect(Buffer.from(c.claims.prev).equals(Buffer.from(prev)), `prev of seq ${row.seq}`).toBe(true);
    prev = c.hash;
  }
}

describe('self-check of parallel signatures before commit', () => {
  it('a signature damaged anywhere in a batch is replaced before commit: all committed and published observations verify', async () => {
    const rnd = seededRandom(12);
    const r = await rig();
    let total = 0;
    for (let round = 0; round < 3; round++) {
      r.fault = { at: Math.floor(rnd() * 200), attempts: [0] };
      await Promise.all(Array.from({ length: 200 }, () => r.log.submit(draft(total++))));
    }
    expect(r.authority.leaf.signer.signingPool!.errors.get('SIGN_SELF_CHECK_FAILED')).toBeGreaterThanOrEqual(3);
    expect(r.authority.leaf.signer.signingPool!.stats.threads).toBe(2);
    expectSoundChain(r, total);
    await waitFor(() => r.published.length >= total, 20_000, 'every observation published');
    const stored = new Set(storedObservations(r.path).map((x) => Buffer.from(x.bytes).toString('hex')));
    expect(r.published.every((p) => stored.has(p.toString('hex')))).toBe(true);
  });

  it('a batch whose damaged signature cannot be made good is not committed or published; it commits whole once signing is sound', async () => {
    const r = await rig();
    await Promise.all(Array.from({ length: 50 }, (_, i) => r.log.submit(draft(i))));
    await waitFor(() => r.published.length >= 50, 20_000, 'the first 50 published');
    r.fault = { at: 77, attempts: [0, 1] };
    const pending = Promise.all(Array.from({ length: 150 }, (_, i) => r.log.submit(draft(50 + i))));
    await waitFor(() => r.log.errors.get('SIGN_SELF_CHECK_FAILED') >= 2, 20_000, 'the refused batch counted twice (first try and a retry)');
    expect(r.store.head().seq).toBe(50);
    expect(storedObservations(r.path)).toHaveLength(50);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.published).toHaveLength(50);

    r.fault = undefined;
    await pending;
    expectSoundChain(r, 200);
    await waitFor(() => r.published.length >= 200, 20_000, 'the rest published');
    expect(r.published).toHaveLength(200);
  });
});

/**
 * The durable store (DESIGN.md, "Failure semantics"): one transaction writes observations,
 * their outbox rows and the lineage head; a corrupt or locked database is a coded error, and
 * the group-commit log retries a locked commit without losing or duplicating a seq.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ObservationStore, StoreError, type Committable } from '../../agent/store/store.ts';
import { MIGRATIONS } from '../../agent/store/migrations.ts';
import { ObservationChain, GENESIS_PREV, type ObservationDraft, type SignedObservation } from '../../agent/lineage/observation.ts';
import { ObservationLog } from '../../agent/lineage/observation-log.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import type { Logger } from '../../core/log.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from './authority-fixture.ts';
import { keptDatabase } from '../support/kept-database.ts';

const dir = mkdtempSync(join(tmpdir(), 'place-agent-store-'));
let n = 0;
const freshPath = () => join(dir, `db-${++n}`, 'agent.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let authority: Chain;
beforeAll(async () => {
  authority = await makeChain();
});

const draft = (i: number, kind: ObservationDraft['kind'] = 'envelope'): ObservationDraft => ({
  kind,
  place: PLACE,
  t: NOW * 1000 + i,
  tq: { src: 'rtc', sync: false, errMs: 2000 },
  body: { i },
});

async function signer(head = { seq: 0, hash: GENESIS_PREV, epoch: 1n }): Promise<ObservationChain> {
  const c = new ObservationChain(authority.leaf.signer, identityOf(authority), head);
  await c.prime();
  return c;
}

const rows = (obs: SignedObservation[]): Committable[] => obs.map((o) => ({ obs: o, topic: observationTopic(o.place, o.kind), retain: o.kind === 'envelope' }));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return (e as StoreError).code;
  }
  return expect.fail('expected a StoreError');
}

/** This process's open file descriptors on the database or its WAL and shared-memory files (Linux /proc). */
/** A store whose schema version is one past what this agent knows: as a newer agent left it. */
function newerAgentsStore(): string {
  const path = freshPath();
  new ObservationStore(path).close();
  const db = keptDatabase(path);
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  return path;
}

function openHandles(path: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target === path || target.startsWith(`${path}-`)) out.push(target);
    } catch {
      // The descriptor readdir itself used, closed by now.
    }
  }
  return out;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

describe('ObservationStore', () => {
  it('applies the migrations and records them in user_version, WAL with synchronous=FULL', () => {
    const path = freshPath();
    new ObservationStore(path).close();
    const db = keptDatabase(path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['observations', 'outbox', 'lineage_head', 'grants', 'meta']));
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer agent with STORE_TOO_NEW', () => {
    const path = newerAgentsStore();
    expect(codeOf(() => new ObservationStore(path))).toBe('STORE_TOO_NEW');
  });

  it('closes its connection and releases the lock when it refuses a store (STORE_TOO_NEW, STORE_CORRUPT)', () => {
    const tooNew = newerAgentsStore();
    expect(openHandles(tooNew)).toEqual([]);
    expect(codeOf(() => new ObservationStore(tooNew, { exclusive: true }))).toBe('STORE_TOO_NEW');
    expect(openHandles(tooNew)).toEqual([]);
    expect(existsSync(`${tooNew}.lock`)).toBe(false);

    const corrupt = freshPath();
    mkdirSync(dirname(corrupt), { recursive: true });
    writeFileSync(corrupt, Buffer.alloc(8192, 0x5a));
    expect(codeOf(() => new ObservationStore(corrupt, { exclusive: true }))).toBe('STORE_CORRUPT');
    expect(openHandles(corrupt)).toEqual([]);
    expect(existsSync(`${corrupt}.lock`)).toBe(false);
    // Moved aside, the path takes a new store at once.
    rmSync(corrupt);
    const fresh = new ObservationStore(corrupt, { exclusive: true });
    expect(fresh.head().seq).toBe(0);
    fresh.close();
  });

  it('refuses a database holding observations signed before the wire contract revision (STORE_OLD_CONTRACT), and upgrades an empty one', async () => {
    const path = freshPath();
    const store = new ObservationStore(path);
    const chain = await signer();
    store.commit([{ obs: await chain.append(draft(1)), topic: 't', retain: false }]);
    store.close();
    const db = keptDatabase(path);
    db.pragma('user_version = 3'); // what an agent of the first draft left behind
    db.close();
    expect(codeOf(() => new ObservationStore(path))).toBe('STORE_OLD_CONTRACT');
    // An empty database of the first draft (migrations 1-3 only) is simply brought forward.
    const empty = freshPath();
    mkdirSync(dirname(empty), { recursive: true });
    const db2 = keptDatabase(empty);
    for (const m of MIGRATIONS.slice(0, 3)) db2.exec(m);
    db2.pragma('user_version = 3');
    db2.close();
    new ObservationStore(empty).close();
    const db3 = keptDatabase(empty, { readonly: true });
    try {
      expect(db3.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      db3.close();
    }
  });

  it('commits observations, outbox rows and the head together; pending() is in seq order; delivered rows leave it', async () => {
    const store = new ObservationStore(freshPath());
    try {
      expect(store.head()).toEqual({ seq: 0, hash: new Uint8Array(32), epoch: 0n });
      const chain = await signer();
      const batch1 = [1, 2, 3].map((i) => chain.appendSync(draft(i, i === 2 ? 'presence' : 'envelope')));
      store.commit(rows(batch1));
      const batch2 = [4, 5].map((i) => chain.appendSync(draft(i)));
      store.commit(rows(batch2));
      const head = store.head();
      expect(head.seq).toBe(5);
      expect(Buffer.from(head.hash).equals(Buffer.from(batch2[1]!.hash))).toBe(true);
      const pending = store.pending(0, 100);
      expect(pending.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(pending[1]!.topic).toBe(`pm/v1/${PLACE}/presence`);
      expect(pending.map((p) => p.retain)).toEqual([true, false, true, true, true]);
      expect(Buffer.from(pending[2]!.bytes).equals(Buffer.from(batch1[2]!.bytes))).toBe(true);
      expect(store.pending(2, 2).map((p) => p.seq)).toEqual([3, 4]);
      store.markDeliveredMany([1, 3], NOW * 1000);
      expect(store.pending(0, 100).map((p) => p.seq)).toEqual([2, 4, 5]);
      expect(store.outboxStats().depth).toBe(3);
    } finally {
      store.close();
    }
  });

  it('rolls back a whole batch when one row fails: no observation, outbox row or head of it remains', async () => {
    const store = new ObservationStore(freshPath());
    try {
      const chain = await signer();
      const first = [1, 2, 3].map((i) => chain.appendSync(draft(i)));
      store.commit(rows(first));
      const more = [4, 5].map((i) => chain.appendSync(draft(i)));
      // seq 3 again at the end collides with the committed one (primary key).
      expect(codeOf(() => store.commit(rows([...more, first[2]!])))).toBe('STORE_IO');
      expect(store.head().seq).toBe(3);
      expect([...store.observations()].map((o) => o.seq)).toEqual([1, 2, 3]);
      expect(store.pending(0, 100).map((p) => p.seq)).toEqual([1, 2, 3]);
    } finally {
      store.close();
    }
  });

  it('stores the shared COSE prefix once and gives every read path the exact signed bytes back', async () => {
    const path = freshPath();
    const store = new ObservationStore(path);
    const chain = await signer();
    const obs = Array.from({ length: 40 }, (_, i) => chain.appendSync(draft(i, i % 3 ? 'envelope' : 'presence')));
    // A row without a prefix length keeps its full bytes (rows written before migration 3).
    const legacy = chain.appendSync(draft(40));
    store.commit(rows(obs.slice(0, 20)));
    store.commit(rows(obs.slice(20)));
    store.commit(rows([{ ...legacy, prefixLength: undefined }]));
    const all = [...obs, legacy];
    const raw = keptDatabase(path, { readonly: true });
    const prefixes = raw.prepare('SELECT bytes FROM cose_prefixes').all() as { bytes: Buffer }[];
    const stored = raw.prepare('SELECT seq, prefix_id AS p, length(bytes) AS n FROM observations ORDER BY seq').all() as { seq: number; p: number | null; n: number }[];
    raw.close();
    expect(prefixes).toHaveLength(1);
    expect(Buffer.from(all[0]!.bytes.subarray(0, all[0]!.prefixLength)).equals(prefixes[0]!.bytes)).toBe(true);
    expect(stored.slice(0, 40).every((r, i) => r.p !== null && r.n === all[i]!.bytes.length - all[i]!.prefixLength!)).toBe(true);
    expect(stored[40]).toEqual({ seq: 41, p: null, n: legacy.bytes.length });
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect([...store.observations(1)].map((o) => hex(o.bytes))).toEqual(all.map((o) => hex(o.bytes)));
    expect(store.pending(0, 100).map((r) => hex(r.bytes))).toEqual(all.map((o) => hex(o.bytes)));
    store.close();
  });

  it('keeps one prefix per header: observations carrying other credentials start a second one', async () => {
    const path = freshPath();
    const store = new ObservationStore(path);
    const first = await signer();
    const a = first.appendSync(draft(0));
    const renewed = new ObservationChain(authority.leaf.signer, { ...identityOf(authority), parents: [] }, first.current());
    await renewed.prime();
    const b = renewed.appendSync(draft(1));
    store.commit(rows([a, b]));
    expect([...store.observations(1)].map((o) => Buffer.from(o.bytes).toString('hex'))).toEqual([a, b].map((o) => Buffer.from(o.bytes).toString('hex')));
    const raw = keptDatabase(path, { readonly: true });
    expect((raw.prepare('SELECT COUNT(*) AS n FROM cose_prefixes').get() as { n: number }).n).toBe(2);
    raw.close();
    store.close();
  });

  it('keeps the head, epoch and chain across a reopen', async () => {
    const path = freshPath();
    const chain = await signer({ seq: 0, hash: GENESIS_PREV, epoch: 7n });
    const obs = [1, 2, 3, 4].map((i) => chain.appendSync(draft(i)));
    const a = new ObservationStore(path);
    a.commit(rows(obs));
    a.close();
    const b = new ObservationStore(path);
    try {
      const head = b.head();
      expect(head.seq).toBe(4);
      expect(head.epoch).toBe(7n);
      expect(Buffer.from(head.hash).equals(Buffer.from(obs[3]!.hash))).toBe(true);
      expect([...b.observations(3)].map((o) => o.seq)).toEqual([3, 4]);
      b.setEpoch(8n);
      expect(b.head()).toEqual({ ...head, epoch: 8n });
    } finally {
      b.close();
    }
  });

  it('reports a file that is not a database with STORE_CORRUPT', () => {
    const path = freshPath();
    new ObservationStore(path).close(); // creates the directory
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(codeOf(() => new ObservationStore(path))).toBe('STORE_CORRUPT');
  });

  it('reports a database held by another connection with STORE_LOCKED and loses nothing', async () => {
    const path = freshPath();
    const store = new ObservationStore(path);
    const other = keptDatabase(path);
    try {
      const chain = await signer();
      store.commit(rows([chain.appendSync(draft(1))]));
      other.exec('BEGIN EXCLUSIVE');
      const blocked = [2, 3].map((i) => chain.appendSync(draft(i)));
      expect(codeOf(() => store.commit(rows(blocked)))).toBe('STORE_LOCKED');
      other.exec('COMMIT');
      expect(store.head().seq).toBe(1);
      store.commit(rows(blocked));
      expect([...store.observations()].map((o) => o.seq)).toEqual([1, 2, 3]);
    } finally {
      other.close();
      store.close();
    }
  });
});

describe('ObservationLog group commit', () => {
  it('commits many drafts in few transactions, resolving each with its seq in submit order', async () => {
    const store = new ObservationStore(freshPath());
    try {
      const committedBatches: number[] = [];
      const log = new ObservationLog(await signer(), store, { logger: silent, maxBatch: 64, onCommitted: (b) => committedBatches.push(b.length) });
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.submit(draft(i + 1))));
      expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(committedBatches.reduce((a, b) => a + b, 0)).toBe(200);
      expect(committedBatches.length).toBeLessThanOrEqual(Math.ceil(200 / 64) + 1);
      expect(store.head().seq).toBe(200);
    } finally {
      store.close();
    }
  });

  it('retries a commit refused by a lock and, once released, commits every seq exactly once', async () => {
    const path = freshPath();
    const store = new ObservationStore(path);
    const other = keptDatabase(path);
    try {
      const chain = await signer();
      let failures = 0;
      // The lock is released from the log's own error report, so the test needs no timer.
      const logger: Logger = {
        ...silent,
        error: (_m, f) => {
          if ((f as { code?: string } | undefined)?.code === 'STORE_LOCKED' && ++failures === 1) other.exec('COMMIT');
        },
      };
      const log = new ObservationLog(chain, store, { logger, retryMs: 5 });
      await log.submit(draft(1));
      other.exec('BEGIN EXCLUSIVE');
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => log.submit(draft(i + 2))));
      expect(failures).toBe(1);
      expect(log.errors.get('STORE_LOCKED')).toBe(1);
      expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
      const stored = [...store.observations()];
      expect(stored.map((o) => o.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
      // What was re-signed after the failure is what was stored, and it is one unbroken chain.
      const verifier = new ObservationVerifier([authority.anchor]);
      const lineage = new LineageVerifier();
      for (const o of stored) {
        const r = verifier.check(o.bytes);
        if (!r.ok) expect.fail(`seq ${o.seq}: ${r.code}`);
        expect(lineage.add(r.claims, r.hash)).toEqual([]);
      }
      expect(store.pending(0, 100)).toHaveLength(41);
    } finally {
      other.close();
      store.close();
    }
  });
  it('never signs an observation over 16 KiB: its submitter gets OBS_TOO_LARGE, a gap records it on the chain, the batch around it commits', async () => {
    const store = new ObservationStore(freshPath());
    try {
      const log = new ObservationLog(await signer(), store, { logger: silent, maxBatch: 8 });
      const huge: ObservationDraft = { ...draft(3), body: { blob: 'x'.repeat(17 * 1024) } };
      const outcomes = await Promise.allSettled([log.submit(draft(1)), log.submit(draft(2)), log.submit(huge), log.submit(draft(4))]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(((outcomes[2] as PromiseRejectedResult).reason as { code: string }).code).toBe('OBS_TOO_LARGE');
      expect(log.errors.get('OBS_TOO_LARGE')).toBe(1);
      const stored = [...store.observations()];
      expect(stored.map((o) => [o.seq, o.kind])).toEqual([
        [1, 'envelope'],
        [2, 'envelope'],
        [3, 'gap'],
        [4, 'envelope'],
      ]);
      const verifier = new ObservationVerifier([authority.anchor]);
      const lineage = new LineageVerifier();
      for (const o of stored) {
        expect(o.bytes.length).toBeLessThanOrEqual(16 * 1024);
        const r = verifier.check(o.bytes);
        if (!r.ok) expect.fail(`seq ${o.seq}: ${r.code}`);
        expect(lineage.add(r.claims, r.hash)).toEqual([]);
        if (o.seq === 3) {
          const body = r.claims.body as Map<string, unknown>;
          expect(body.get('reason')).toBe('too-large');
          expect(body.get('kind')).toBe('envelope');
          expect(body.get('bytes')).toBeGreaterThan(16 * 1024);
        }
      }
    } finally {
      store.close();
    }
  });
});

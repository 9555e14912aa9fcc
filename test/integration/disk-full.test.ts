/**
 * A full disk during commit (DESIGN.md, "Failure semantics": nothing signed is lost). The store
 * lives on a tmpfs of SIZE that the test mounts (as root, like the rest of the suite's system
 * setup) and then fills with a filler file until the kernel answers ENOSPC, so SQLite's own WAL
 * write fails and reports SQLITE_FULL: the real error path, not a simulated code. A size-limited
 * filesystem is used rather than PRAGMA max_page_count because max_page_count stops SQLite before
 * it ever calls write(); only a full filesystem shows what the agent does when the kernel refuses
 * the bytes. A machine where mounting is refused fails this file with that reason; it does not skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservationStore, StoreError, type Committable } from '../../agent/store/store.ts';
import { ObservationChain, GENESIS_PREV, type LineageHead, type ObservationDraft, type SignedObservation } from '../../agent/lineage/observation.ts';
import { ObservationLog } from '../../agent/lineage/observation-log.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import type { Logger } from '../../core/log.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';

/** Room for the schema and a few dozen observations; small enough to fill in a moment. */
const SIZE = '4m';
const TMPFS_MAGIC = 0x01021994; // linux/magic.h

const root = mkdtempSync(join(tmpdir(), 'pa-disk-full-'));
let mounted = false;
const stores: ObservationStore[] = [];
let n = 0;

let authority: Chain;
beforeAll(async () => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0700`, 'place-agent-disk-full', root], { stdio: 'pipe' });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`this test fills a small filesystem of its own and could not mount a ${SIZE} tmpfs on ${root} (needs root or CAP_SYS_ADMIN): ${stderr || (e as Error).message}`);
  }
  mounted = true;
  expect(statfsSync(root).type).toBe(TMPFS_MAGIC);
  authority = await makeChain();
});

afterAll(() => {
  for (const s of stores) s.close();
  if (mounted) {
    try {
      execFileSync('umount', [root], { stdio: 'pipe' });
    } catch {
      // Something still holds a file open (a failed test's connection): detach it anyway.
      execFileSync('umount', ['-l', root], { stdio: 'pipe' });
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function openStore(): { store: ObservationStore; dir: string } {
  const dir = join(root, `db-${++n}`);
  mkdirSync(dir);
  const store = new ObservationStore(join(dir, 'agent.db'));
  stores.push(store);
  return { store, dir };
}

/** Writes a file until the kernel says ENOSPC; returns its path (delete it to free the space). */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0xee);
  let errno: string | undefined;
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    errno = (e as NodeJS.ErrnoException).code;
  } finally {
    closeSync(fd);
  }
  expect(errno).toBe('ENOSPC');
  // What the 64 KiB writes left over, a page at a time.
  const fd2 = openSync(path, 'a');
  try {
    for (;;) writeSync(fd2, chunk, 0, 4096);
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd2);
  }
  expect(statfsSync(root).bavail).toBe(0);
  return path;
}

const draft = (i: number): ObservationDraft => ({
  kind: i % 4 === 0 ? 'presence' : 'envelope',
  place: PLACE,
  t: NOW * 1000 + i,
  tq: { src: 'rtc', sync: false, errMs: 2000 },
  body: { i },
});

async function chainFrom(head: LineageHead = { seq: 0, hash: GENESIS_PREV, epoch: 1n }): Promise<ObservationChain> {
  const c = new ObservationChain(authority.leaf.signer, identityOf(authority), head);
  await c.prime();
  return c;
}

const rows = (obs: SignedObservation[]): Committable[] => obs.map((o) => ({ obs: o, topic: observationTopic(o.place, o.kind), retain: o.kind === 'envelope' }));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const stored = (s: ObservationStore): { seq: number; bytes: string }[] => [...s.observations()].map((o) => ({ seq: o.seq, bytes: hex(o.bytes) }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every stored observation verifies with the trust anchor alone and links to the one before. */
function expectVerifiedChain(s: ObservationStore, lastSeq: number): void {
  const verifier = new ObservationVerifier([authority.anchor]);
  const lineage = new LineageVerifier();
  const all = [...s.observations()];
  expect(all.map((o) => o.seq)).toEqual(range(1, lastSeq));
  for (const o of all) {
    const r = verifier.check(o.bytes);
    if (!r.ok) expect.fail(`seq ${o.seq}: ${r.code} ${r.reason}`);
    expect(lineage.add(r.claims, r.hash)).toEqual([]);
  }
  expect(hex(s.head().hash)).toBe(hex(all[all.length - 1]!.hash));
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a full disk during commit', () => {
  it('refuses the batch with STORE_FULL (SQLite saw SQLITE_FULL) and leaves what was committed as it was', async () => {
    const { store, dir } = openStore();
    const chain = await chainFrom();
    store.commit(rows(range(1, 10).map((i) => chain.appendSync(draft(i)))));
    const before = stored(store);
    const headBefore = store.head();

    const filler = fillDisk(dir);
    try {
      const refused = range(11, 40).map((i) => chain.appendSync(draft(i)));
      let error: unknown;
      try {
        store.commit(rows(refused));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('STORE_FULL');
      expect(String((error as { cause?: { code?: string } }).cause?.code)).toMatch(/^SQLITE_FULL/);
      expect(store.head()).toEqual(headBefore);
      expect(stored(store)).toEqual(before);
      expect(store.pending(0, 100).map((p) => p.seq)).toEqual(range(1, 10));
    } finally {
      rmSync(filler);
    }
    // Same connection, space back: the chain goes on from the durable head.
    const resumed = await chainFrom(store.head());
    store.commit(rows(range(11, 40).map((i) => resumed.appendSync(draft(i)))));
    expect(stored(store).slice(0, 10)).toEqual(before);
    expectVerifiedChain(store, 40);
  });

  it('refuses the very first commit of a new database (the one that also stores the shared COSE prefix) and stores it whole once space is back', async () => {
    const { store, dir } = openStore();
    const chain = await chainFrom();
    const filler = fillDisk(dir);
    try {
      const refused = range(1, 5).map((i) => chain.appendSync(draft(i)));
      expect(() => store.commit(rows(refused))).toThrow(expect.objectContaining({ code: 'STORE_FULL' }));
      expect(store.head().seq).toBe(0);
      expect(stored(store)).toEqual([]);
    } finally {
      rmSync(filler);
    }
    // The prefix row of the rolled-back batch is gone with it; the retry must store it again.
    const again = await chainFrom(store.head());
    const obs = range(1, 5).map((i) => again.appendSync(draft(i)));
    store.commit(rows(obs));
    expect(stored(store)).toEqual(obs.map((o) => ({ seq: o.seq, bytes: hex(o.bytes) })));
    expectVerifiedChain(store, 5);
  });

  it('keeps drafts queued and counts STORE_FULL while the disk is full, then commits them in order once space is back', async () => {
    const { store, dir } = openStore();
    const chain = await chainFrom();
    const failures: { code?: string; error?: unknown; queued?: number }[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_m, f) => void failures.push(f as (typeof failures)[number]),
      child: () => logger,
    };
    const log = new ObservationLog(chain, store, { logger, retryMs: 10, maxBatch: 8 });
    const first = await Promise.all(range(1, 10).map((i) => log.submit(draft(i))));
    expect(first.map((o) => o.seq)).toEqual(range(1, 10));
    const before = stored(store);
    const headBefore = store.head();

    const filler = fillDisk(dir);
    const settled: number[] = [];
    let pending: Promise<SignedObservation[]>;
    try {
      pending = Promise.all(
        range(11, 40).map((i) =>
          log.submit(draft(i)).then((o) => {
            settled.push(o.seq);
            return o;
          }),
        ),
      );
      // Several refused attempts, so a retry on a still-full disk is covered too.
      await until(() => log.errors.get('STORE_FULL') >= 3, 'three refused commits');
      expect(settled).toEqual([]);
      expect(log.depth).toBe(30);
      expect(log.committed).toBe(10);
      expect(store.head()).toEqual(headBefore);
      expect(stored(store)).toEqual(before);
      // The signing head is back at the durable one, so the next attempt re-signs seq 11.
      expect(chain.current()).toEqual(headBefore);
      for (const f of failures) {
        expect(f.code).toBe('STORE_FULL');
        expect(f.error).toBeInstanceOf(StoreError);
        expect(String((f.error as { cause?: { code?: string } }).cause?.code)).toMatch(/^SQLITE_FULL/);
        expect(f.queued).toBe(30);
      }
      expect(log.errors.snapshot()).toEqual({ STORE_FULL: failures.length });
    } finally {
      rmSync(filler);
    }

    const rest = await pending;
    expect(rest.map((o) => o.seq)).toEqual(range(11, 40));
    expect(settled).toEqual(range(11, 40));
    expect(log.depth).toBe(0);
    expect(log.committed).toBe(40);
    // Only the refused attempts were counted; nothing else went wrong on the way back.
    expect(log.errors.snapshot()).toEqual({ STORE_FULL: failures.length });
    // What the submitters were handed is exactly what is stored.
    const after = stored(store);
    expect(after.slice(0, 10)).toEqual(before);
    expect(after.slice(10)).toEqual(rest.map((o) => ({ seq: o.seq, bytes: hex(o.bytes) })));
    expect(store.pending(0, 100).map((p) => p.seq)).toEqual(range(1, 40));
    expectVerifiedChain(store, 40);

    // And it is durable: a new connection (with its integrity check) reads the same chain.
    const reopened = new ObservationStore(store.path);
    stores.push(reopened);
    expect(stored(reopened)).toEqual(after);
    expect(reopened.head()).toEqual(store.head());
  });
});

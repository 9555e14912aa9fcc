/**
 * The durable store (DESIGN.md, "Failure semantics"): SQLite in WAL mode with
 * synchronous=FULL. One transaction writes a batch of observations, their outbox rows and the
 * new lineage head, so a crash leaves either all of a batch or none of it; batches are how
 * durability avoids one fsync per observation (group commit).
 */
import Database from 'better-sqlite3';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SignedObservation } from '../lineage/observation.ts';
import type { ChainStore, LineageHead, OutboxReader, OutboxRow, StoreHealth } from '../../core/ports/store.ts';
import { CONTRACT_REVISION_MIGRATION, MIGRATIONS } from './migrations.ts';
import { StoreError, sqliteError } from './store-errors.ts';
import { takeLock } from './store-lock.ts';
import { GrantStore } from './grant-store.ts';
import { archiveAndPrune } from './retention.ts';
import { withPrefix } from './cose-prefix.ts';

export { StoreError } from './store-errors.ts';

export type { OutboxRow } from '../../core/ports/store.ts';

export interface StoredObservation {
  seq: number;
  kind: string;
  place: string;
  t: number;
  epoch: bigint;
  hash: Uint8Array;
  bytes: Uint8Array;
}

export interface Committable {
  obs: SignedObservation;
  topic: string;
  retain: boolean;
}

/** Closed connections and their statements, kept from the garbage collector (see close()). */
const retired: unknown[] = [];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

export class ObservationStore implements ChainStore<Committable>, OutboxReader, StoreHealth {
  private readonly db: Database.Database;
  private readonly insObs;
  private readonly insOut;
  private readonly setHead;
  private readonly markDelivered;
  private readonly markRange;
  private readonly syncNormal;
  private readonly syncFull;
  private readonly selPending;
  private readonly selHead;

  private lockPath: string | undefined;
  /**
   * Every statement is prepared once and kept for the life of the connection. Statements that
   * are garbage-collected while the agent runs have crashed Node 24 in better-sqlite3's
   * finaliser (RemoveEnvironmentCleanupHook assertion); kept statements are only finalised at close.
   */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /**
   * `exclusive`: the running agent's store. A second agent on the same database would fork the
   * chain in memory and wedge on every commit, so it is refused with STORE_IN_USE.
   * `skipIntegrityCheck`: a second connection of the same agent (the publisher's worker) whose
   * database the first connection has just checked.
   */
  constructor(
    readonly path: string,
    opts: { exclusive?: boolean; skipIntegrityCheck?: boolean } = {},
  ) {
    if (opts.exclusive && path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      this.lockPath = takeLock(`${path}.lock`, path);
    }
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 2000 });
      this.stmt('PRAGMA journal_mode = WAL').get();
      this.stmt('PRAGMA synchronous = FULL').run();
      this.stmt('PRAGMA foreign_keys = ON').run();
      this.migrate();
      const check = opts.skipIntegrityCheck ? 'ok' : this.stmt('PRAGMA quick_check').pluck().get();
      if (check !== 'ok') throw new StoreError('STORE_CORRUPT', `database ${path} failed its integrity check: ${String(check)}`, { path });
    } catch (e) {
      // A refused store leaves nothing open: the connection (its file descriptors on the
      // database, WAL and shared memory would otherwise stay until the garbage collector runs)
      // and the lock, so the operator can move the file aside and the next start can take it.
      this.close();
      if (e instanceof StoreError) throw e;
      sqliteError(e, path);
    }
    this.insObs = this.stmt('INSERT INTO observations (seq, kind, place, t, epoch, hash, bytes, prefix_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insOut = this.stmt('INSERT INTO outbox (seq, topic, retain) VALUES (?, ?, ?)');
    this.setHead = this.stmt(
      'INSERT INTO lineage_head (id, seq, hash, epoch) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, epoch = excluded.epoch',
    );
    this.markDelivered = this.stmt('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE seq = ? AND delivered_at IS NULL');
    this.syncNormal = this.stmt('PRAGMA synchronous = NORMAL');
    this.syncFull = this.stmt('PRAGMA synchronous = FULL');
    this.markRange = this.stmt('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE seq BETWEEN ? AND ? AND delivered_at IS NULL');
    this.selPending = this.stmt(
      'SELECT o.seq AS seq, o.topic AS topic, o.retain AS retain, p.bytes AS prefix, b.bytes AS bytes, b.kind AS kind FROM outbox o JOIN observations b ON b.seq = o.seq LEFT JOIN cose_prefixes p ON p.id = b.prefix_id WHERE o.delivered_at IS NULL AND o.seq > ? ORDER BY o.seq LIMIT ?',
    );
    this.selHead = this.stmt('SELECT seq, hash, epoch FROM lineage_head WHERE id = 1');
  }

  private migrate(): void {
    const version = this.stmt('PRAGMA user_version').pluck().get() as number;
    if (version > MIGRATIONS.length) {
      throw new StoreError('STORE_TOO_NEW', `database schema version ${version} is newer than this agent knows (${MIGRATIONS.length})`, { path: this.path });
    }
    if (version > 0 && version < CONTRACT_REVISION_MIGRATION) {
      const rows = this.stmt('SELECT count(*) FROM observations').pluck().get() as number;
      if (rows > 0) {
        throw new StoreError(
          'STORE_OLD_CONTRACT',
          `database ${this.path} holds ${rows} observation(s) signed under the wire contract before its 2026-11-30 revision (hashes over whole COSE bytes, credentials as byte strings); export it if needed, then move it aside: this agent starts a new chain`,
          { path: this.path },
        );
      }
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      })();
    }
  }

  /**
   * Whether this connection checkpoints the WAL itself when it passes 1000 pages (SQLite's
   * default). Off while another connection calls checkpoint() for it (the publisher's worker),
   * so the writer on the signing thread does not pay for copying the WAL into the database.
   */
  setAutoCheckpoint(on: boolean): void {
    this.guard(() => this.stmt(`PRAGMA wal_autocheckpoint = ${on ? 1000 : 0}`).get());
  }

  /**
   * A PASSIVE checkpoint (https://sqlite.org/c3ref/wal_checkpoint_v2.html): copies what it can
   * of the WAL into the database without waiting on readers or the writer. Returns the WAL's
   * size and how much of it was copied, in pages.
   */
  checkpoint(): { walPages: number; checkpointed: number } {
    const r = this.guard(() => this.stmt('PRAGMA wal_checkpoint(PASSIVE)').get()) as { busy: number; log: number; checkpointed: number };
    return { walPages: r.log, checkpointed: r.checkpointed };
  }

  head(): LineageHead {
    const row = this.selHead.get() as { seq: number; hash: Buffer; epoch: number } | undefined;
    if (!row) return { seq: 0, hash: new Uint8Array(32), epoch: 0n };
    return { seq: row.seq, hash: new Uint8Array(row.hash), epoch: BigInt(row.epoch) };
  }

  /** Records a raised epoch in the head (the counter itself lives in the file or TPM). */
  setEpoch(epoch: bigint): void {
    this.guard(() =>
      this.db.transaction(() => {
        const h = this.head();
        this.setHead.run(h.seq, h.hash, epoch);
      })(),
    );
  }

  /** The shared COSE prefix last stored (migration 3), so a batch looks it up once. */
  private prefixCache: { bytes: Uint8Array; id: number } | undefined;

  private prefixId(prefix: Uint8Array): number {
    this.stmt('INSERT OR IGNORE INTO cose_prefixes (bytes) VALUES (?)').run(prefix);
    return (this.stmt('SELECT id FROM cose_prefixes WHERE bytes = ?').get(prefix) as { id: number }).id;
  }

  /**
   * Commits a batch of consecutive observations with their outbox rows and the new head, in one
   * transaction. An observation's shared prefix (prefixLength) is stored once in cose_prefixes
   * and its row keeps the rest; every read puts the two back together byte for byte.
   */
  commit(batch: Committable[]): void {
    if (batch.length === 0) return;
    let cache = this.prefixCache;
    this.guard(() =>
      this.db.transaction(() => {
        for (const c of batch) {
          const o = c.obs;
          let stored = o.bytes;
          let prefixId: number | null = null;
          if (o.prefixLength) {
            const prefix = o.bytes.subarray(0, o.prefixLength);
            if (!cache || !sameBytes(cache.bytes, prefix)) cache = { bytes: prefix.slice(), id: this.prefixId(prefix) };
            prefixId = cache.id;
            stored = o.bytes.subarray(o.prefixLength);
          }
          this.insObs.run(o.seq, o.kind, o.place, o.t, o.epoch, o.hash, stored, prefixId);
          this.insOut.run(o.seq, c.topic, c.retain ? 1 : 0);
        }
        const last = batch[batch.length - 1]!.obs;
        this.setHead.run(last.seq, last.hash, last.epoch);
      })(),
    );
    // Kept only once committed: a rolled-back batch may have inserted the prefix row it names.
    this.prefixCache = cache;
  }

  pending(afterSeq: number, limit: number): OutboxRow[] {
    const rows = this.guard(() => this.selPending.all(afterSeq, limit)) as { seq: number; topic: string; retain: number; prefix: Buffer | null; bytes: Buffer; kind: string }[];
    return rows.map((r) => ({ seq: r.seq, topic: r.topic, retain: r.retain === 1, bytes: withPrefix(r.prefix, r.bytes), kind: r.kind }));
  }

  /** Marks rows delivered; contiguous runs of seqs (the usual case) take one statement each. */
  markDeliveredMany(seqs: number[], at: number): void {
    if (seqs.length === 0) return;
    const sorted = [...seqs].sort((a, b) => a - b);
    // Delivery marks are not worth an fsync each: one lost to a power cut only causes a resend
    // (delivery is at-least-once), and the next observation commit, which does sync, makes them
    // durable with it (WAL frames are synced in order). With an fsync per mark the marks cost
    // the writing thread more than the commits (measured: 3 to 7 ms each against 0.5 ms).
    this.guard(() => {
      this.syncNormal.run();
      try {
        this.markTransaction(sorted, at);
      } finally {
        this.syncFull.run();
      }
    });
  }

  private markTransaction(sorted: number[], at: number): void {
    this.db.transaction(() => {
      let start = sorted[0]!;
      let prev = start;
      for (let i = 1; i <= sorted.length; i++) {
        const s = sorted[i];
        if (s === prev + 1 || s === prev) {
          prev = s;
          continue;
        }
        if (start === prev) this.markDelivered.run(at, start);
        else this.markRange.run(at, start, prev);
        if (s !== undefined) start = prev = s;
      }
    })();
  }

  outboxStats(): { depth: number; oldestT: number | undefined } {
    const r = this.stmt('SELECT COUNT(*) AS n, MIN(b.t) AS oldest FROM outbox o JOIN observations b ON b.seq = o.seq WHERE o.delivered_at IS NULL').get() as {
      n: number;
      oldest: number | null;
    };
    return { depth: r.n, oldestT: r.oldest ?? undefined };
  }

  /** Observations in seq order from `fromSeq`, for export and verification. */
  *observations(fromSeq = 1): Generator<StoredObservation> {
    // Read in pages through one kept statement rather than .iterate(): better-sqlite3 12's
    // iterator objects, like statements, crash Node 24 when garbage-collected (see stmt()).
    const page = this.stmt(
      'SELECT b.seq AS seq, b.kind AS kind, b.place AS place, b.t AS t, b.epoch AS epoch, b.hash AS hash, p.bytes AS prefix, b.bytes AS bytes FROM observations b LEFT JOIN cose_prefixes p ON p.id = b.prefix_id WHERE b.seq >= ? ORDER BY b.seq LIMIT 1000',
    );
    for (let from = fromSeq; ; ) {
      const rows = page.all(from) as { seq: number; kind: string; place: string; t: number; epoch: number; hash: Buffer; prefix: Buffer | null; bytes: Buffer }[];
      for (const r of rows) yield { seq: r.seq, kind: r.kind, place: r.place, t: r.t, epoch: BigInt(r.epoch), hash: new Uint8Array(r.hash), bytes: withPrefix(r.prefix, r.bytes) };
      if (rows.length < 1000) return;
      from = rows[rows.length - 1]!.seq + 1;
    }
  }

  /** Observations of `kind` signed at or after `fromT` (ms), in seq order. */
  *observationsOfKindSince(kind: string, fromT: number): Generator<{ seq: number; bytes: Uint8Array }> {
    const page = this.stmt('SELECT b.seq AS seq, p.bytes AS prefix, b.bytes AS bytes FROM observations b LEFT JOIN cose_prefixes p ON p.id = b.prefix_id WHERE b.kind = ? AND b.t >= ? AND b.seq > ? ORDER BY b.seq LIMIT 1000');
    for (let after = 0; ; ) {
      const rows = page.all(kind, fromT, after) as { seq: number; prefix: Buffer | null; bytes: Buffer }[];
      for (const r of rows) yield { seq: r.seq, bytes: withPrefix(r.prefix, r.bytes) };
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** Received grants (grant-store.ts). */
  get grants(): GrantStore {
    return (this.grantStore ??= new GrantStore((sql) => this.stmt(sql), (fn) => this.guard(fn)));
  }
  private grantStore: GrantStore | undefined;

  getMeta(key: string): string | undefined {
    const r = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.guard(() => this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value));
  }

  /**
   * Storage pressure (DESIGN.md, "Failure semantics"): undelivered envelopes that a later
   * undelivered envelope supersedes are taken out of the outbox (delivered_at = -1: never to be
   * published; they stay in the chain for audit until retention). Attestations are never dropped.
   * Returns the seqs dropped, for the signed `gap` observation that must follow.
   */
  dropSupersededEnvelopes(): number[] {
    return this.guard(() =>
      this.db.transaction(() => {
        const latest = this.stmt("SELECT MAX(o.seq) AS s FROM outbox o JOIN observations b ON b.seq = o.seq WHERE o.delivered_at IS NULL AND b.kind = 'envelope'")
          .get() as { s: number | null };
        if (latest.s === null) return [];
        const rows = this.stmt("SELECT o.seq AS seq FROM outbox o JOIN observations b ON b.seq = o.seq WHERE o.delivered_at IS NULL AND b.kind = 'envelope' AND o.seq < ? ORDER BY o.seq")
          .all(latest.s) as { seq: number }[];
        const mark = this.stmt('UPDATE outbox SET delivered_at = -1 WHERE seq = ?');
        for (const r of rows) mark.run(r.seq);
        // Recorded with the drop, so a crash before the signed gap is committed still leads to one.
        const pending = JSON.parse(this.getMeta('pending_gap') ?? '[]') as number[];
        this.setMeta('pending_gap', JSON.stringify([...pending, ...rows.map((r) => r.seq)]));
        return rows.map((r) => r.seq);
      })(),
    );
  }

  /** Seqs dropped from delivery whose signed gap is not yet committed. */
  pendingGap(): number[] {
    return JSON.parse(this.getMeta('pending_gap') ?? '[]') as number[];
  }

  /** The gap observation listing `seqs` is committed: forget them. */
  clearPendingGap(seqs: number[]): void {
    this.guard(() =>
      this.db.transaction(() => {
        const done = new Set(seqs);
        this.setMeta('pending_gap', JSON.stringify(this.pendingGap().filter((s) => !done.has(s))));
      })(),
    );
  }

  /** Retention: see retention.ts. */
  archiveAndPrune(cutoffMs: number, auditDir: string, limit = 100_000): { archived: number; file?: string } {
    return archiveAndPrune({ stmt: (sql) => this.stmt(sql), guard: (fn) => this.guard(fn), transaction: (fn) => this.db.transaction(fn)(), headSeq: this.head().seq, grants: this.grants }, cutoffMs, auditDir, limit);
  }

  /** Checks the database answers a write; used by the watchdog's liveness probe. */
  probeWritable(): void {
    this.guard(() => this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('probe', String(Date.now())));
  }

  close(): void {
    if (this.db?.open) this.db.close();
    // Kept referenced after closing: a Database object garbage-collected while the process runs
    // crashes Node 24 in better-sqlite3 12's destructor (the same fault as for statements).
    retired.push(this.db, ...this.statements.values());
    if (this.lockPath) {
      rmSync(this.lockPath, { force: true });
      this.lockPath = undefined;
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      sqliteError(e, this.path);
    }
  }
}

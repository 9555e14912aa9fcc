/**
 * Parallel ES256 signing with node:crypto: worker threads sign a batch together, each claiming
 * the next few messages of a shared buffer until none are left (a thread the machine slows
 * down takes fewer), and the signatures come back in message order. The
 * pool holds no thread while the load does not need one: a batch smaller than `inlineBelow`
 * is signed on the calling thread, threads are started only when a batch is big enough to
 * share, up to `maxThreads`, and all of them stop after `idleMs` without such a batch (an
 * idle gateway runs no signing thread).
 *
 * Self-check: signatures are verified against the public key before they are returned: every
 * one of a batch signed on the calling thread, one in k at a random phase of a batch the threads
 * sign (DEFAULT_CHECK; `check: 'all'` checks every one). One that fails is counted
 * (SIGN_SELF_CHECK_FAILED, stats.repaired) and signed again on the calling thread with a fresh
 * nonce and a check; if that fails too, the whole batch is refused (stats.refusedBatches), so
 * the caller commits nothing of it.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createPublicKey, randomInt, type KeyObject } from 'node:crypto';
import { CodedError, ErrorCounter } from '../../core/coded-error.ts';
import { spawnWorker } from '../workers/spawn.ts';
import { CHECK, CORRUPT, signOne, verifyOne, type SharedBatch } from './signing-core.ts';
import { SigningError, type SigningErrorCode } from './errors.ts';

/**
 * One in 8 of the signatures of a threaded batch is verified. Measured here (node:crypto,
 * OpenSSL 3.0): a P-256 signature costs about 32 µs of CPU and its verification about 70 µs, so
 * checking every one more than triples the signing cost, about a third of the whole pipeline's
 * CPU per observation on a 2-core gateway; one in 8 costs about 9 µs. A persistent fault (a bad
 * build, a broken thread, damaged key memory) is caught within a few signatures and refuses its
 * batch; a transient one is caught one time in 8, and then the whole batch and the next
 * ESCALATE_BATCHES batches are checked in full.
 */
const DEFAULT_CHECK = { every: 8 } as const;
const ESCALATE_BATCHES = 64;

export interface SigningPoolOptions {
  /**
   * Most signing threads (default: one per core but one, at least 1, at most 4): the calling
   * thread runs the rest of the pipeline and the MQTT publisher has a thread of its own. On 2
   * cores, two signing threads measured slower than one (about 10% more CPU per observation):
   * at one in 8 checked, a signature costs about 41 µs, so one thread signs faster than the rest
   * of the pipeline can use.
   */
  maxThreads?: number;
  /** Batches below this size are signed on the calling thread; also the least run per thread (default 64). */
  inlineBelow?: number;
  /** Threads stop after this long without a batch that needed them (default 10 s). */
  idleMs?: number;
  /**
   * Which signatures are verified before they are returned: all, or one in k at a random phase
   * for batches the threads sign (default one in 8); batches signed on the calling thread (the
   * load of a gateway: a few observations at a time) are always checked in full.
   */
  check?: 'all' | { every: number };
  /** Where SIGN_* failures are counted; the owner's counter outlives the pool (default: the pool's own). */
  errors?: ErrorCounter<SigningErrorCode>;
  /** Fault injection for tests: damage the signature of message `index` on attempt 0 (the pool's) or 1 (the re-sign). */
  faults?: (index: number, attempt: 0 | 1) => boolean;
}

export interface SigningPoolStats {
  threads: number;
  batches: number;
  signatures: number;
  /** Signatures made by worker threads (the rest on the calling thread). */
  pooled: number;
  checked: number;
  /** Signatures that failed their self-check and were made again, good, before being returned. */
  repaired: number;
  /** Batches refused because a signature failed its self-check twice. */
  refusedBatches: number;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
}

export class SigningPool {
  private readonly pub: KeyObject;
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Threaded batches still to be checked in full since the last failed check. */
  private fullCheckBatches = 0;
  private closed = false;
  private readonly maxThreads: number;
  private readonly inlineBelow: number;
  readonly errors: ErrorCounter<SigningErrorCode>;
  readonly stats: SigningPoolStats = { threads: 0, batches: 0, signatures: 0, pooled: 0, checked: 0, repaired: 0, refusedBatches: 0 };

  constructor(
    private readonly key: KeyObject,
    private readonly opts: SigningPoolOptions = {},
  ) {
    this.pub = createPublicKey(key);
    this.errors = opts.errors ?? new ErrorCounter<SigningErrorCode>();
    this.maxThreads = Math.max(1, opts.maxThreads ?? Math.min(4, availableParallelism() - 1));
    this.inlineBelow = Math.max(1, opts.inlineBelow ?? 64);
  }

  /** Signs every message (raw r || s, low-S, 64 bytes each), in order; rejects if any signature cannot be made good. */
  async signMany(messages: Uint8Array[]): Promise<Uint8Array[]> {
    if (this.closed) throw new SigningError('SIGN_POOL_CLOSED', 'the signing pool is closed');
    const n = messages.length;
    this.stats.batches++;
    this.stats.signatures += n;
    const want = Math.min(this.maxThreads, Math.floor(n / this.inlineBelow));
    const every = this.sampleEvery(want >= 1);
    const check = this.checkMask(n, every);
    const corrupt = this.opts.faults ? messages.map((_, i) => i).filter((i) => this.opts.faults!(i, 0)) : [];
    const out = new Uint8Array(64 * n);
    const failed: number[] = [];
    if (want < 1) {
      for (let i = 0; i < n; i++) if (!signOne(this.key, this.pub, messages[i]!, out.subarray(64 * i, 64 * i + 64), check[i] === 1, corrupt.includes(i))) failed.push(i);
    } else {
      this.grow(want);
      // No idle stop while a batch is out: a thread that answered first is not idle, it waits
      // for the next batch (a timer armed here fired mid-batch when threads started slowly).
      clearTimeout(this.idleTimer);
      const b = this.share(messages, check, corrupt);
      // The calling thread does not join in: it has the rest of the pipeline to run (chaining
      // the next batch, committing and publishing the one before), and while it signed, the
      // threads idled through that work (measured: main thread saturated, signing thread 20% busy).
      await Promise.all(this.threads.slice(0, want).map((t) => this.post(t, b)));
      this.stats.pooled += n;
      out.set(new Uint8Array(b.sigs));
      const f = new Uint8Array(b.failed);
      for (let i = 0; i < n; i++) if (f[i]) failed.push(i);
      // Idle time counts from the end of the last batch that needed threads.
      this.touch();
    }
    if (failed.length) {
      // A fault seldom comes alone: with a sampled check, the signatures of this batch that were
      // not checked are checked now, and the next ESCALATE_BATCHES batches are checked in full.
      if (every > 1) {
        for (let i = 0; i < n; i++) {
          if (check[i] || verifyOne(this.pub, messages[i]!, out.subarray(64 * i, 64 * i + 64))) continue;
          failed.push(i);
        }
        this.stats.checked += n - check.reduce((a, v) => a + v, 0);
      }
      this.fullCheckBatches = ESCALATE_BATCHES;
      for (const i of failed) this.redo(messages, i, out);
    }
    const sigs: Uint8Array[] = new Array(n);
    for (let i = 0; i < n; i++) sigs[i] = out.subarray(64 * i, 64 * i + 64);
    return sigs;
  }

  /** A signature that failed its self-check: counted, made again here with a fresh nonce and checked. */
  private redo(messages: Uint8Array[], i: number, out: Uint8Array): void {
    this.errors.count('SIGN_SELF_CHECK_FAILED');
    if (!signOne(this.key, this.pub, messages[i]!, out.subarray(64 * i, 64 * i + 64), true, this.opts.faults?.(i, 1) ?? false)) {
      this.stats.refusedBatches++;
      throw new SigningError('SIGN_SELF_CHECK_FAILED', `signature ${i} of a batch of ${messages.length} failed its self-check twice; nothing of the batch is returned`, { index: i });
    }
    this.stats.repaired++;
  }

  /**
   * 1 (check every signature) or k (one in k): the configured sample applies only to batches
   * the threads sign (a load the pool had to spread), and not for a while after a failure.
   */
  private sampleEvery(threaded: boolean): number {
    const c = this.opts.check ?? DEFAULT_CHECK;
    if (c === 'all' || !threaded) return 1;
    if (this.fullCheckBatches > 0) {
      this.fullCheckBatches--;
      return 1;
    }
    return Math.max(1, c.every);
  }

  private checkMask(n: number, every: number): Uint8Array {
    const mask = new Uint8Array(n);
    if (every === 1) mask.fill(1);
    else for (let i = randomInt(every); i < n; i += every) mask[i] = 1;
    for (const v of mask) this.stats.checked += v;
    return mask;
  }

  private share(messages: Uint8Array[], check: Uint8Array, corrupt: number[]): SharedBatch {
    const n = messages.length;
    let size = 0;
    for (const m of messages) size += m.length;
    const b: SharedBatch = {
      id: this.nextId++,
      n,
      bytes: new SharedArrayBuffer(size),
      offsets: new SharedArrayBuffer(4 * (n + 1)),
      sigs: new SharedArrayBuffer(64 * n),
      flags: new SharedArrayBuffer(n),
      failed: new SharedArrayBuffer(n),
      next: new SharedArrayBuffer(4),
    };
    const bytes = new Uint8Array(b.bytes);
    const offsets = new Int32Array(b.offsets);
    const flags = new Uint8Array(b.flags);
    let o = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = o;
      bytes.set(messages[i]!, o);
      o += messages[i]!.length;
      flags[i] = check[i]! ? CHECK : 0;
    }
    offsets[n] = o;
    for (const i of corrupt) flags[i]! |= CORRUPT;
    return b;
  }

  private post(t: Thread, b: SharedBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      t.pending.set(b.id, { resolve: () => resolve(), reject });
      t.worker.postMessage(b);
    });
  }

  private grow(want: number): void {
    while (this.threads.length < want) {
      const worker = spawnWorker(new URL('./signing-worker.ts', import.meta.url), { key: this.key, pub: this.pub });
      const t: Thread = { worker, pending: new Map() };
      worker.on('message', (r: { id: number }) => {
        const p = t.pending.get(r.id);
        t.pending.delete(r.id);
        p?.resolve();
      });
      const fail = (e: Error): void => {
        const i = this.threads.indexOf(t);
        if (i >= 0) this.threads.splice(i, 1);
        this.stats.threads = this.threads.length;
        for (const p of t.pending.values()) p.reject(e);
        t.pending.clear();
      };
      worker.on('error', (e) => {
        this.errors.count('SIGN_WORKER_FAILED');
        fail(new SigningError('SIGN_WORKER_FAILED', `a signing thread failed: ${e.message}`, {}, { cause: e }));
      });
      worker.on('exit', () => fail(new SigningError('SIGN_WORKER_FAILED', 'a signing thread exited')));
      this.threads.push(t);
    }
    this.stats.threads = this.threads.length;
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.shrink(), this.opts.idleMs ?? 10_000);
    this.idleTimer.unref();
  }

  /** Stops every idle thread (all of them: the next big batch starts what it needs). */
  private async shrink(): Promise<void> {
    const idle = this.threads.filter((t) => t.pending.size === 0);
    for (const t of idle) this.threads.splice(this.threads.indexOf(t), 1);
    this.stats.threads = this.threads.length;
    await Promise.all(idle.map((t) => t.worker.terminate()));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const all = this.threads.splice(0);
    this.stats.threads = 0;
    await Promise.all(all.map((t) => t.worker.terminate()));
  }
}

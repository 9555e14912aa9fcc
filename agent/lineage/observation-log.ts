/**
 * The write path: drafts in, signed observations committed to the store in batches (group
 * commit), publisher told. The chain is built in order from payload hashes; the signatures of
 * a batch are made together (in parallel where the signer can) and the batch is committed
 * only once every one of them is back and checked. When a commit
 * fails (disk full, database locked) the chain head is rewound to the durable head and the
 * drafts stay queued to be signed again: nothing is lost, the error is counted and retried.
 */
import { CodedError, ErrorCounter } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import type { Committable } from '../store/store.ts';
import type { ChainStore } from '../../core/ports/store.ts';
import type { LineageHead, ObservationChain, ObservationDraft, PreparedLinks, SignedObservation } from './observation.ts';
import { observationTopic } from '../transport/topics.ts';
import { LineageLogError, type LineageLogErrorCode } from './errors.ts';

interface InFlight {
  batch: Pending[];
  /** The durable head before this batch: where a failure rewinds to. */
  before: LineageHead;
  /** Absent when chaining the batch failed (its `signatures` then carries the error). */
  links?: PreparedLinks;
  signatures: Promise<Uint8Array[]>;
}

interface Pending {
  draft: ObservationDraft;
  resolve: (o: SignedObservation) => void;
  reject: (e: unknown) => void;
}

export interface ObservationLogOptions {
  maxBatch?: number;
  /** Upper bound on queued drafts; past it submit() rejects with LOG_BACKLOG. */
  maxQueue?: number;
  retryMs?: number;
  logger: Logger;
  onCommitted?: (batch: SignedObservation[], rows: Committable[]) => void;
  /** Which kinds are published retained (the current envelope). */
  retained?: ReadonlySet<string>;
}

export class ObservationLog {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly errors = new ErrorCounter<LineageLogErrorCode>();
  committed = 0;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly retained: ReadonlySet<string>;

  constructor(
    private readonly chain: ObservationChain,
    private readonly store: ChainStore<Committable>,
    private readonly opts: ObservationLogOptions,
  ) {
    this.maxBatch = opts.maxBatch ?? 512;
    this.maxQueue = opts.maxQueue ?? 100_000;
    this.retained = opts.retained ?? new Set(['envelope']);
  }

  /** Resolves once the observation is durable (committed with its lineage head). */
  submit(draft: ObservationDraft): Promise<SignedObservation> {
    if (this.queue.length >= this.maxQueue) {
      this.errors.count('LOG_BACKLOG');
      return Promise.reject(new LineageLogError('LOG_BACKLOG', `more than ${this.maxQueue} observations waiting to be committed`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.schedule();
    });
  }

  get depth(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing)
        this.flushing = this.flush()
          .catch((e) => {
            this.errors.count('LOG_FLUSH_FAILED');
            this.opts.logger.error('observation flush failed', { error: e as Error });
          })
          .finally(() => (this.flushing = undefined));
      else void this.flushing.then(() => this.schedule());
    });
  }

  /**
   * Commits the queue batch by batch. Two batches are in flight at once: while the signatures
   * of one are made (by the signer's threads), the next is chained and handed to the signer;
   * each commit waits for every signature of its batch. A batch that fails to sign or commit
   * rewinds the chain to the durable head and drops the batch prepared after it.
   */
  private async flush(): Promise<void> {
    await this.chain.prime();
    let current = this.queue.length ? this.startBatch(0) : undefined;
    while (current) {
      const next = this.queue.length > current.batch.length ? this.startBatch(current.batch.length) : undefined;
      let signed: SignedObservation[];
      let rows: Committable[];
      try {
        signed = this.chain.complete(current.links!, await current.signatures);
        rows = signed.map((obs) => ({ obs, topic: observationTopic(obs.place, obs.kind), retain: this.retained.has(obs.kind) }));
        this.store.commit(rows);
      } catch (e) {
        this.chain.rewind(current.before);
        const code = e instanceof CodedError ? e.code : 'LOG_SIGN_FAILED';
        this.errors.count(code);
        this.opts.logger.error('could not sign or commit observations; will retry', { code, error: e as Error, queued: this.queue.length });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.schedule();
        }, this.opts.retryMs ?? 1000);
        return;
      }
      const batch = current.batch;
      this.queue.splice(0, batch.length);
      this.committed += signed.length;
      batch.forEach((p, i) => p.resolve(signed[i]!));
      try {
        this.opts.onCommitted?.(signed, rows);
      } catch (e) {
        // What listeners do with a committed batch cannot undo the commit; count and go on.
        this.errors.count('LOG_LISTENER_FAILED');
        this.opts.logger.error('a committed-observation listener failed', { error: e as Error });
      }
      current = next ?? (this.queue.length ? this.startBatch(0) : undefined);
      // Let acknowledgements, readings and timers run between batches under a burst.
      if (current) await new Promise((r) => setImmediate(r));
    }
  }

  /** Chains the next batch after queue[from] and starts its signatures. */
  private startBatch(from: number): InFlight {
    const batch = this.queue.slice(from, from + this.maxBatch);
    const before = this.chain.current();
    try {
      return this.chainBatch(batch, before);
    } catch (e) {
      if (!(e instanceof LineageLogError && e.code === 'OBS_TOO_LARGE')) throw e;
      // One draft too large to sign: its submitter is told, and a small `gap` takes its place
      // on the chain so the loss is recorded where an auditor looks, not only in a log.
      const i = from + (e.details.index as number);
      const refused = this.queue[i]!;
      this.errors.count('OBS_TOO_LARGE');
      this.opts.logger.error('an observation too large to sign was replaced by a gap', { code: e.code, kind: refused.draft.kind, bytes: e.details.bytes });
      refused.reject(e);
      const d = refused.draft;
      this.queue[i] = {
        draft: { kind: 'gap', place: d.place, t: d.t, tq: d.tq, body: { reason: 'too-large', kind: d.kind, bytes: e.details.bytes as number } },
        resolve: () => undefined,
        reject: () => undefined,
      };
      return this.startBatch(from);
    }
  }

  private chainBatch(batch: Pending[], before: LineageHead): InFlight {
    try {
      const links = this.chain.prepare(batch.map((p) => p.draft));
      const signatures = this.chain.sign(links);
      // Awaited later (after the batch before it commits); until then a rejection is not unhandled.
      signatures.catch(() => undefined);
      return { batch, before, links, signatures };
    } catch (e) {
      if (e instanceof LineageLogError && e.code === 'OBS_TOO_LARGE') throw e;
      // A draft that cannot be encoded: the failure surfaces where this batch would commit.
      const signatures = Promise.reject(e);
      signatures.catch(() => undefined);
      return { batch, before, signatures };
    }
  }

  /** Waits until everything submitted so far is committed (or has failed into retry). */
  async drain(): Promise<void> {
    while (this.flushing || this.scheduled) await (this.flushing ?? new Promise((r) => setImmediate(r)));
  }

  /** Rejects what is still queued (at shutdown after a failed final flush). */
  abandon(reason: string): void {
    clearTimeout(this.retryTimer);
    const q = this.queue;
    this.queue = [];
    if (q.length) this.errors.count('LOG_ABANDONED', q.length);
    for (const p of q) p.reject(new LineageLogError('LOG_ABANDONED', reason));
  }
}

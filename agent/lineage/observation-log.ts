/**
 * The write path: drafts in, signed observations committed to the store in batches (group
 * commit), publisher told. Signing is strictly sequential (each prev is the previous hash);
 * everything drafted in one turn of the event loop goes into one transaction. When a commit
 * fails (disk full, database locked) the chain head is rewound to the durable head and the
 * drafts stay queued to be signed again: nothing is lost, the error is counted and retried.
 */
import { CodedError, ErrorCounter } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import type { ObservationStore, Committable } from '../store/store.ts';
import type { ObservationChain, ObservationDraft, SignedObservation } from './observation.ts';
import { observationTopic } from '../transport/topics.ts';
import { LineageLogError } from './errors.ts';

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
  readonly errors = new ErrorCounter();
  committed = 0;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly retained: ReadonlySet<string>;

  constructor(
    private readonly chain: ObservationChain,
    private readonly store: ObservationStore,
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

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.maxBatch);
      const signed: SignedObservation[] = [];
      const before = this.chain.current();
      let rows: Committable[];
      try {
        for (const p of batch) signed.push(this.chain.canSignSync ? this.chain.appendSync(p.draft) : await this.chain.append(p.draft));
        rows = signed.map((obs) => ({ obs, topic: observationTopic(obs.place, obs.kind), retain: this.retained.has(obs.kind) }));
        this.store.commit(rows);
      } catch (e) {
        this.chain.rewind(before);
        const code = e instanceof CodedError ? e.code : 'LOG_SIGN_FAILED';
        this.errors.count(code);
        this.opts.logger.error('could not sign or commit observations; will retry', { code, error: e as Error, queued: this.queue.length });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.schedule();
        }, this.opts.retryMs ?? 1000);
        return;
      }
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
      // Let acknowledgements, readings and timers run between batches under a burst.
      if (this.queue.length) await new Promise((r) => setImmediate(r));
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
    for (const p of q) p.reject(new LineageLogError('LOG_ABANDONED', reason));
  }
}

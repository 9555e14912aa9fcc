/**
 * Under storage pressure (more undelivered than `maxUndelivered`) superseded envelopes leave the
 * outbox, and a signed gap says exactly which and why; only once that gap is committed are they
 * struck from the pending list, so a crash in between declares them at the next start.
 */
import { codeOf } from '../../core/coded-error.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import type { ObservationStore } from '../store/store.ts';
import { inBackground, type BackgroundContext } from './background.ts';
import { compressRanges } from './bounded-wait.ts';
import { RuntimeErrorCode } from './errors.ts';

export interface OutboxPressureContext extends BackgroundContext {
  store: Pick<ObservationStore, 'outboxStats' | 'dropSupersededEnvelopes' | 'clearPendingGap'>;
  maxUndelivered: number | undefined;
  /** Signs an observation; resolves undefined when it was not recorded. */
  emit: (d: { kind: 'gap'; body: { [k: string]: CborValue } }) => Promise<unknown>;
}

/** Called at each envelope tick: drops superseded envelopes while the outbox is over its bound. */
export function relievePressure(o: OutboxPressureContext): void {
  const max = o.maxUndelivered;
  if (max === undefined) return;
  try {
    if (o.store.outboxStats().depth <= max) return;
    const seqs = o.store.dropSupersededEnvelopes();
    if (seqs.length === 0) return;
    o.errors.count('OUTBOX_PRESSURE', seqs.length);
    o.logger.warn('outbox over its bound: superseded envelopes will not be published', { dropped: seqs.length, max });
    emitGap(seqs, o);
  } catch (e) {
    o.errors.count(codeOf(e, RuntimeErrorCode.PRESSURE_CHECK_FAILED));
  }
}

/** Signs the gap for dropped seqs; striking them is a store write, which can fail (counted, they stay pending). */
export function emitGap(seqs: number[], o: OutboxPressureContext): void {
  const body = { reason: 'superseded-envelope', kind: 'envelope', seqs: compressRanges(seqs), count: seqs.length, bound: o.maxUndelivered ?? 0 };
  inBackground('gap', () => o.emit({ kind: 'gap', body }).then((signed) => void (signed && o.store.clearPendingGap(seqs))), o);
}

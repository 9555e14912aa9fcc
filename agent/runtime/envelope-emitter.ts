/**
 * When envelopes are signed: on their period, and at once on a significant change (a door
 * opening, a bay filling, free power moving past its delta), at most once per `minIntervalMs`;
 * a change inside that interval is signed when the interval ends, as the place stands then.
 */
import type { Clock } from '../../core/clock.ts';
import { significantChange, type EnvelopeBuilder, type PlaceEnvelope } from '../domain/envelope.ts';
import { guarded } from '../../core/guarded.ts';

export class EnvelopeEmitter {
  private last: PlaceEnvelope | undefined;
  private lastAt = -Infinity;
  private deferred: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly builder: EnvelopeBuilder,
    private readonly o: { minIntervalMs: number; clock: Clock; sign: (e: PlaceEnvelope) => Promise<unknown>; failed: (e: unknown) => void },
  ) {}

  /** The periodic envelope. */
  periodic(): Promise<unknown> {
    return this.emit(this.builder.compute(this.o.clock.now()));
  }

  /** A reading fed a dimension: sign now if the envelope changed significantly. */
  changed(): void {
    if (this.deferred || this.stopped) return;
    const now = this.o.clock.now();
    const e = this.builder.compute(now);
    if (!significantChange(this.last, e, this.builder.profile.dims)) return;
    const wait = this.lastAt + this.o.minIntervalMs - now;
    if (wait <= 0) {
      void this.emit(e).catch(this.o.failed);
      return;
    }
    this.deferred = setTimeout(() => {
      this.deferred = undefined;
      // A timer's callback: what it throws or rejects with must not reach the process.
      if (!this.stopped) guarded(() => this.emit(this.builder.compute(this.o.clock.now())), this.o.failed);
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.deferred);
  }

  private emit(e: PlaceEnvelope): Promise<unknown> {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    this.last = e;
    this.lastAt = e.valid[0];
    return this.o.sign(e);
  }
}

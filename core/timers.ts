import type { Clock } from './clock.ts';

/** Timer functions a supervisor uses, injectable so tests step time by hand (as MQTT.js lets tests inject its timer). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Supervisor timers never keep the process alive on their own.
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Timers driven by a manual clock: `advance(ms)` moves the clock and runs what fell due, in order. */
export class ManualTimers implements Timers {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(readonly clock: { now(): number; set(t: number): void } & Clock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.clock.now() + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Delays of the timers still pending, from now, soonest first. */
  pendingDelays(): number[] {
    const now = this.clock.now();
    return [...this.pending.values()].map((p) => p.at - now).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers one by one (timers they set are honoured too). */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, p] of this.pending) {
        if (p.at <= end && (p.at < nextAt || (p.at === nextAt && id < (nextId ?? Infinity)))) {
          nextAt = p.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const p = this.pending.get(nextId)!;
      this.pending.delete(nextId);
      if (p.at > this.clock.now()) this.clock.set(p.at);
      p.fn();
    }
    this.clock.set(end);
  }
}

import type { Clock } from './clock.ts';
import { ErrorCounter, type ForeignCode } from './coded-error.ts';
import type { Logger } from './log.ts';

/** One line the reject log wants written: a rejection in detail, or a summary of those it held back. */
export type RejectLogLine =
  | { kind: 'reject'; code: string; message: string; details: Record<string, unknown> }
  | { kind: 'summary'; suppressed: number; byCode: Record<string, number>; intervalMs: number };

export interface RejectLogOptions {
  clock: Clock;
  write: (line: RejectLogLine) => void;
  /** Length of one rate interval, ms. Default 10 000. */
  intervalMs?: number;
  /** Rejections written in detail per interval; the rest are counted and summarised. Default 5. */
  detailPerInterval?: number;
}

/** The rate a source's options may set (`rejectLog`): rejections logged in detail per interval, the rest summarised. */
export type RejectLogRate = Pick<RejectLogOptions, 'intervalMs' | 'detailPerInterval'>;

/**
 * Counts every rejection and writes at a bounded rate: the first `detailPerInterval`
 * rejections of an interval in detail, then one summary line per interval for the ones held
 * back (how many, by code). No input can make a decoder print without limit: over any span
 * of time T the number of lines is at most (detailPerInterval + 1) × (T / intervalMs + 1).
 * Time comes from the injected clock; nothing is scheduled, so a summary is written when the
 * next rejection (or `tick`, or `flush`) finds its interval over.
 *
 * `C` is the rejecting subsystem's registry, as for ErrorCounter: a misspelt code does not compile.
 */
export class RejectLog<C extends string> {
  readonly counts = new ErrorCounter<C>();
  private readonly intervalMs: number;
  private readonly detail: number;
  private intervalStart: number | undefined;
  private written = 0;
  private suppressed = new Map<string, number>();
  private suppressedTotal = 0;

  constructor(private readonly options: RejectLogOptions) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.detail = options.detailPerInterval ?? 5;
  }

  /** Counts one rejection; writes it if this interval still has room. `message` is only built when written. */
  reject(code: C | ForeignCode, message: string | (() => string), details: Record<string, unknown> = {}): void {
    this.counts.count(code);
    this.tick();
    if (this.intervalStart === undefined) this.intervalStart = this.options.clock.now();
    if (this.written < this.detail) {
      this.written++;
      this.options.write({ kind: 'reject', code, message: typeof message === 'function' ? message() : message, details });
      return;
    }
    this.suppressed.set(code, (this.suppressed.get(code) ?? 0) + 1);
    this.suppressedTotal++;
  }

  /** Closes the interval if it is over: writes its summary (if anything was held back) and opens room again. */
  tick(): void {
    if (this.intervalStart === undefined) return;
    if (this.options.clock.now() - this.intervalStart < this.intervalMs) return;
    this.flush();
  }

  /** Writes the summary of what is held back now, whatever the time (end of input, stop). */
  flush(): void {
    if (this.suppressedTotal > 0) {
      this.options.write({ kind: 'summary', suppressed: this.suppressedTotal, byCode: Object.fromEntries(this.suppressed), intervalMs: this.intervalMs });
    }
    this.intervalStart = undefined;
    this.written = 0;
    this.suppressed = new Map();
    this.suppressedTotal = 0;
  }
}

/**
 * The write callback a source gives its RejectLog: each rejection in detail at debug (its code
 * and details as fields), each summary at info. `noun` names what was rejected in the summary
 * line ("input(s)", "report(s)").
 */
export function logRejects(log: Logger, noun = 'input(s)'): (line: RejectLogLine) => void {
  return (l) =>
    l.kind === 'reject'
      ? log.debug(`rejected: ${l.message}`, { code: l.code, ...l.details })
      : log.info(`${l.suppressed} more rejected ${noun} not logged one by one`, { byCode: l.byCode, intervalMs: l.intervalMs });
}

/**
 * One error shape for the whole agent: a stable machine-readable `code` (SUBSYSTEM_REASON),
 * a human sentence, and the details a user needs to act on it. Subsystems subclass it so a
 * caller can tell where an error came from; the codes themselves never change meaning.
 *
 * No stack trace is captured: the code says where an error comes from, and most coded errors
 * are rejected input (a bad sentence, a stray `$`), which is data, not a fault in the code.
 * Capturing a stack costs about 10 µs, which a flood of garbage would pay per line (2.6
 * million lines of `$` took 79 s with stacks). `cause` keeps the stack of a system error that
 * led to one. Set `CodedError.captureStacks` (on by default when PLACE_AGENT_DEBUG is set,
 * whose report prints stacks) to see where each coded error was raised.
 */
export class CodedError<C extends string = string> extends Error {
  static captureStacks: boolean = typeof process !== 'undefined' && Boolean(process.env.PLACE_AGENT_DEBUG);

  readonly code: C;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    if (CodedError.captureStacks) {
      super(message, options);
    } else {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        super(message, options);
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/**
 * Who can fix a failure, declared beside a registry for every code in it (an `ExitClasses`
 * map), so a new code cannot go without one: 'input' is what the user typed or handed in
 * (usage, the configuration, the identity files it names) and is fixed by changing that;
 * 'runtime' is what failed while running. The command line exits 2 and 3 on them
 * (agent/cli/errors.ts).
 */
export type ExitClass = 'input' | 'runtime';

/** One class per code of a registry `C`: a code left out, or one the registry lacks, does not compile. */
export type ExitClasses<C extends string> = { readonly [K in C]: ExitClass };

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

/**
 * The code of whatever was thrown: a CodedError's, a Node system error's (`ENOENT`,
 * `SQLITE_FULL`, ...), or `fallback` when the thing thrown carries none. For counters and
 * logs, where a failure must be counted under some stable name and never crash the caller.
 */
export function codeOf<F extends string>(e: unknown, fallback: F): F | ForeignCode {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? (code as ForeignCode) : fallback;
}

/**
 * A code read off something thrown (codeOf): it may come from any subsystem, Node or SQLite, so
 * no registry lists it. Branded, so a typed counter takes it while a misspelt literal still
 * fails to compile.
 */
export type ForeignCode = string & { readonly foreign: unique symbol };

/**
 * Error counters keyed by code, for health and metrics; bad input is counted, never dropped
 * silently. `C` is the subsystem's registry (its `as const` codes' union): a code outside it
 * does not compile, except one read off a thrown error through codeOf (a ForeignCode). `C`
 * defaults to never: a counter that names no registry counts no literal code at all.
 */
export class ErrorCounter<C extends string = never> {
  private readonly counts = new Map<string, number>();

  count(code: C | ForeignCode, n = 1): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + n);
  }

  /** Reading a count takes any code (one never counted reads 0). */
  get(code: string): number {
    return this.counts.get(code) ?? 0;
  }

  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** A counter as its readers see it (health, metrics, ports): counts by any code, no counting. */
export type ErrorCounts = Pick<ErrorCounter, 'get' | 'total' | 'snapshot'>;

/** What was thrown or rejected with may be anything (`Promise.reject(42)`); a log wants an Error's fields. */
export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(`rejected with a non-error: ${String(reason)}`);
}

/**
 * Capped exponential backoff with jitter, the one retry schedule of the agent (serial and TCP
 * reopen, MQTT reconnect, publisher worker restart). Attempt n (from 0) waits
 * min(maxMs, initialMs · factor^n), minus a random part of up to `jitter` of it, and never less
 * than `minMs`: a fleet of gateways whose broker or USB hub came back does not retry in
 * lockstep. `jitter: 1` is "full jitter" (uniform in [minMs, ceiling]).
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction in [0, 1] of each delay that is randomised away. Default 0.2. */
  jitter?: number;
  /** Floor under every delay (after jitter). Default 0. */
  minMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.2, minMs: 0 };

/** The delay before retry `attempt` (0-based); `random` returns values in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  // The exponent is bounded so a link down for days never overflows to Infinity before the cap.
  const ceiling = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.min(Math.max(0, attempt), 60)));
  const j = Math.min(1, Math.max(0, o.jitter));
  return Math.max(o.minMs, Math.round(ceiling * (1 - j * random())));
}

/** The same schedule with its attempt count kept: `next()` after each failure, `reset()` on success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

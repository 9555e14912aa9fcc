/**
 * Capped exponential backoff with jitter: attempt n (from 0) waits
 * min(maxMs, initialMs · factor^n), minus up to `jitter` of it at random, so a fleet of
 * gateways whose USB hub power-cycled does not reopen in lockstep.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction in [0, 1] of each delay that is randomised away. Default 0.2. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.2 };

export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.min(attempt, 60)));
  const j = Math.min(1, Math.max(0, o.jitter));
  return Math.max(0, Math.round(base * (1 - j * random())));
}

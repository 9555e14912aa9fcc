import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../../core/backoff.ts';
import { ManualClock } from '../../core/clock.ts';
import { ManualTimers } from '../../core/timers.ts';

/** A retry loop as the link supervisor and the publishers run it: fail, wait next(), retry. */
function retryTimes(backoff: Backoff, timers: ManualTimers, clock: ManualClock, failures: number, untilMs: number): number[] {
  const attempts: number[] = [];
  const attempt = (): void => {
    attempts.push(clock.now());
    if (attempts.length <= failures) timers.setTimeout(attempt, backoff.next());
    else backoff.reset();
  };
  attempt();
  timers.advance(untilMs);
  return attempts;
}

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, on a manual clock', () => {
    const clock = new ManualClock(0);
    const timers = new ManualTimers(clock);
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    // Waits 100, 200, 400, 800, 1000, 1000 between attempts.
    expect(retryTimes(b, timers, clock, 6, 10_000)).toEqual([0, 100, 300, 700, 1500, 2500, 3500]);
    expect(b.attempts).toBe(0);
  });

  it('starts again from the initial delay after a success', () => {
    const clock = new ManualClock(0);
    const timers = new ManualTimers(clock);
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    retryTimes(b, timers, clock, 3, 5_000);
    const t0 = clock.now();
    expect(retryTimes(b, timers, clock, 2, 5_000).map((t) => t - t0)).toEqual([0, 100, 300]);
  });

  it('jitter takes away up to its fraction of each delay, never below the floor', () => {
    const at = (r: number) => new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, minMs: 50 }, () => r);
    expect(at(0).next()).toBe(1000);
    expect(at(0.999999).next()).toBe(500);
    const full = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 1, minMs: 50 }, () => 0.999999);
    expect([full.next(), full.next()]).toEqual([50, 50]);
  });

  it('spreads a fleet: gateways retrying at the same moment do not retry in lockstep', () => {
    const delays = Array.from({ length: 50 }, () => new Backoff({ initialMs: 1000, jitter: 1 }).next());
    expect(new Set(delays).size).toBeGreaterThan(40);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
  });

  it('stays at the cap for a link down for days (no overflow to Infinity or NaN)', () => {
    expect(backoffDelay(1e9, { initialMs: 250, maxMs: 30_000, jitter: 0 })).toBe(30_000);
    const b = new Backoff({ initialMs: 250, maxMs: 30_000, jitter: 0 });
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.next()).toBe(30_000);
  });
});

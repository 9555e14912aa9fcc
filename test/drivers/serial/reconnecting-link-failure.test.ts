/**
 * The port supervisor runs its reopen attempts and its watchdog from timers, where a rejection
 * nobody handles would stop the whole agent. A link constructor that throws is a failed open
 * (retried with backoff); a state listener that throws, or a reopen or watchdog step that
 * rejects, is counted SERIAL_INTERNAL and logged at error, and the supervisor goes on: the port
 * is reopened and its bytes flow. Nothing is left unhandled.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ManualTimers } from '../../../core/timers.ts';
import { MockLink } from '../../../drivers/serial/mock-link.ts';
import { ReconnectingLink } from '../../../drivers/serial/reconnecting-link.ts';
import { collectUnhandledRejections } from '../../support/unhandled-rejections.ts';
import { capturedLog } from '../../support/captured-log.ts';

const PATH = '/dev/serial/by-id/usb-u-blox_GNSS';
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function rig(createLink: (resolved: string) => MockLink) {
  const clock = new ManualClock(1_000_000);
  const timers = new ManualTimers(clock);
  const { lines, logger } = capturedLog();
  const link = new ReconnectingLink({
    path: PATH,
    resolvePath: async () => '/dev/ttyACM0',
    createLink,
    backoff: { initialMs: 100, maxMs: 300, factor: 2, jitter: 0 },
    clock,
    timers,
    logger,
  });
  const got: string[] = [];
  link.onData((c) => got.push(new TextDecoder().decode(c)));
  /** Fires the next reopen attempt (the watchdog's period is 1000 ms; retries are shorter). */
  const retry = async () => {
    timers.advance(timers.pendingDelays().find((d) => d !== 1000)!);
    await settle();
  };
  return { timers, lines, link, got, retry };
}

describe('ReconnectingLink when one of its own steps fails', () => {
  const unhandled = collectUnhandledRejections();

  it('counts a throwing link constructor as a failed open and retries it', async () => {
    const links: MockLink[] = [];
    let calls = 0;
    const { link, got, retry } = rig((p) => {
      if (++calls === 1) throw new TypeError('bad port option');
      const m = new MockLink(p);
      links.push(m);
      return m;
    });
    await link.open();
    expect(link.health()).toMatchObject({ state: 'down', errors: { SERIAL_OPEN_FAILED: 1 } });
    expect(link.health().lastError).toContain('bad port option');
    await retry();
    expect(link.health().state).toBe('open');
    links[0]!.receive('$A\r\n');
    expect(got).toEqual(['$A\r\n']);
    expect(unhandled).toEqual([]);
  });

  it('counts a throwing state listener as SERIAL_INTERNAL and still opens and reopens the port', async () => {
    const links: MockLink[] = [];
    const { link, got, lines, retry } = rig((p) => {
      const m = new MockLink(p);
      links.push(m);
      return m;
    });
    link.onStateChange(() => {
      throw new RangeError('listener bug');
    });
    await link.open();
    expect(link.health().state).toBe('open');
    expect(link.health().errors.SERIAL_INTERNAL).toBeGreaterThan(0);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'SERIAL_INTERNAL', where: 'a state listener', error: { name: 'RangeError' } });
    links[0]!.vanish();
    expect(link.health().state).toBe('down');
    await retry();
    expect(link.health().state).toBe('open');
    links[1]!.receive('$B\r\n');
    expect(got).toEqual(['$B\r\n']);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('counts a reopen attempt that rejects, arms the next retry, and reopens on it', async () => {
    const links: MockLink[] = [];
    const { link, lines, retry } = rig((p) => {
      const m = new MockLink(p);
      links.push(m);
      return m;
    });
    await link.open();
    links[0]!.vanish();
    const inner = link as unknown as { attempt: () => Promise<void> };
    const attempt = inner.attempt.bind(link);
    inner.attempt = () => {
      inner.attempt = attempt;
      return Promise.reject(new TypeError('reopen bug'));
    };
    await retry();
    expect(link.health().errors.SERIAL_INTERNAL).toBe(1);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'SERIAL_INTERNAL', where: 'reopen', error: { name: 'TypeError' } });
    expect(link.health().state).toBe('down');
    await retry();
    expect(link.health().state).toBe('open');
    expect(unhandled).toEqual([]);
  });

  it('counts a watchdog round that rejects and keeps watching', async () => {
    const { link, timers, lines } = rig((p) => new MockLink(p));
    await link.open();
    const inner = link as unknown as { watch: () => Promise<void> };
    let rounds = 0;
    inner.watch = () => {
      rounds++;
      return Promise.reject(new TypeError('watchdog bug'));
    };
    timers.advance(1000);
    await settle();
    timers.advance(1000);
    await settle();
    expect(rounds).toBe(2);
    expect(link.health().errors.SERIAL_INTERNAL).toBe(2);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'SERIAL_INTERNAL', where: 'watchdog' });
    expect(link.health().state).toBe('open');
    expect(unhandled).toEqual([]);
  });
});

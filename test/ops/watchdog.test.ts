import { describe, expect, it } from 'vitest';
import { MemoryTransport, SdNotifier, watchdogTimeoutMs, createNotifyTransport, noTransport } from '../../agent/ops/sd-notify.ts';
import { componentProbe, pipelineProbe, Watchdog } from '../../agent/ops/watchdog.ts';
import { createShutdown } from '../../agent/ops/shutdown.ts';
import { ManualClock } from '../../core/clock.ts';
import { closeSync, openSync } from 'node:fs';

function setup() {
  const transport = new MemoryTransport();
  const notifier = new SdNotifier(transport);
  const watchdog = new Watchdog({ notifier, timeoutMs: 30_000 });
  return { transport, notifier, watchdog };
}

describe('Watchdog', () => {
  it('pings at half the manager interval, only when every probe passes', async () => {
    const { transport, watchdog } = setup();
    expect(watchdog.intervalMs).toBe(15_000);
    let storeOk = true;
    watchdog.register(componentProbe('store', async () => {
      if (!storeOk) throw new Error('SQLITE_READONLY');
    }));
    watchdog.register(componentProbe('signer', async () => undefined));

    expect((await watchdog.check()).pinged).toBe(true);
    storeOk = false;
    const bad = await watchdog.check();
    expect(bad.pinged).toBe(false);
    expect(bad.results).toEqual([{ name: 'store', ok: false, detail: 'SQLITE_READONLY' }, { name: 'signer', ok: true }]);
    storeOk = true;
    expect((await watchdog.check()).pinged).toBe(true);
    expect(transport.messages).toEqual(['WATCHDOG=1', 'STATUS=unhealthy, watchdog withheld: store: SQLITE_READONLY', 'WATCHDOG=1']);
  });

  it('treats a probe that does not answer in time as failed and does not stack rounds on it', async () => {
    const { transport, watchdog } = setup();
    let release: () => void = () => {};
    let calls = 0;
    watchdog.register({
      name: 'signer',
      timeoutMs: 20,
      check: () => {
        calls++;
        return new Promise<void>((r) => (release = r));
      },
    });
    const round = watchdog.check();
    // A second check while the first still waits returns the same round.
    expect(watchdog.check()).toBe(round);
    const r = await round;
    expect(r.pinged).toBe(false);
    expect(r.results[0]).toEqual({ name: 'signer', ok: false, detail: 'no answer within 20 ms' });
    expect(calls).toBe(1);
    expect(transport.messages).not.toContain('WATCHDOG=1');
    release();
  });

  it('judges the pipeline by readings flowing, unless idle by design', async () => {
    const clock = new ManualClock(1_000_000);
    let last: number | undefined;
    let idle = false;
    const probe = pipelineProbe({ clock, lastActivityAt: () => last, maxSilenceMs: 60_000, idleByDesign: () => idle, startedAt: clock.now() });
    expect(await probe.check()).toEqual({ ok: true });
    clock.advance(61_000);
    expect(await probe.check()).toEqual({ ok: false, detail: 'no reading for 61 s' });
    last = clock.now() - 5_000;
    expect(await probe.check()).toEqual({ ok: true });
    clock.advance(120_000);
    idle = true;
    expect(await probe.check()).toEqual({ ok: true, detail: 'idle by design' });
  });
});

describe('sd_notify environment', () => {
  it('reads WATCHDOG_USEC only when WATCHDOG_PID is this process', () => {
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000' }, 7)).toBe(30_000);
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7)).toBe(30_000);
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7)).toBeUndefined();
    expect(watchdogTimeoutMs({}, 7)).toBeUndefined();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: 'x' }, 7)).toBeUndefined();
  });

  it('sends nothing outside systemd and ignores a descriptor that is not a socket', () => {
    expect(createNotifyTransport({})).toBe(noTransport);
    const regularFile = openSync(import.meta.filename, 'r');
    try {
      expect(createNotifyTransport({ NOTIFY_SOCKET: '/run/systemd/notify', PLACE_AGENT_NOTIFY_FD: String(regularFile) })).toBe(noTransport);
    } finally {
      closeSync(regularFile);
    }
    expect(createNotifyTransport({ NOTIFY_SOCKET: '/run/systemd/notify', PLACE_AGENT_NOTIFY_FD: '987654' })).toBe(noTransport);
    expect(createNotifyTransport({ NOTIFY_SOCKET: '/run/systemd/notify' })).toBe(noTransport);
  });

  it('keeps STATUS= on one line and does not repeat an unchanged status', async () => {
    const t = new MemoryTransport();
    const n = new SdNotifier(t);
    await n.setStatus('outbox 3\nbroker up');
    await n.setStatus('outbox 3 broker up');
    await n.stopping();
    expect(t.messages).toEqual(['STATUS=outbox 3 broker up', 'STOPPING=1']);
  });
});

describe('shutdown', () => {
  it('says STOPPING first, runs every step in order even after a failure, and reports it', async () => {
    const t = new MemoryTransport();
    const done: string[] = [];
    const shutdown = createShutdown({
      notifier: new SdNotifier(t),
      steps: [
        { name: 'sources', run: async () => void done.push(`sources after ${t.messages.length} notes`) },
        { name: 'outbox', run: async () => { throw new Error('disk full'); } },
        { name: 'store', run: async () => void done.push('store') },
      ],
    });
    const outcome = await shutdown('SIGTERM');
    expect(t.messages[0]).toBe('STOPPING=1\nSTATUS=stopping: SIGTERM');
    expect(done).toEqual(['sources after 1 notes', 'store']);
    expect(outcome).toEqual({ clean: false, failed: ['outbox'] });
    expect(await shutdown('again')).toBe(outcome);
  });

  it('gives up at the deadline when a step hangs', async () => {
    const shutdown = createShutdown({ notifier: new SdNotifier(new MemoryTransport()), deadlineMs: 20, steps: [{ name: 'store', run: () => new Promise(() => {}) }] });
    expect(await shutdown('SIGTERM')).toEqual({ clean: false, failed: ['deadline'] });
  });
});

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { encodeNmeaSentence } from '../../../drivers/nmea/checksum.ts';
import { NmeaSerialSource } from '../../../drivers/nmea/nmea-serial-source.ts';
import { backoffDelay } from '../../../core/backoff.ts';
import { MockLink } from '../../../drivers/serial/mock-link.ts';
import { ReconnectingLink, type ReconnectingLinkOptions } from '../../../drivers/serial/reconnecting-link.ts';
import { TcpLink } from '../../../drivers/serial/tcp-link.ts';
import { ManualTimers } from '../../../core/timers.ts';
import { waitFor } from './helpers.ts';

/** Lets pending promise callbacks (resolvePath, open) run; no wall time is involved. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function rig(extra: Partial<ReconnectingLinkOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const timers = new ManualTimers(clock);
  // The by-id symlink and where it points; the test re-points it as udev would.
  const fsLinks = new Map<string, string>([['/dev/serial/by-id/usb-u-blox_GNSS', '/dev/ttyACM0']]);
  const links: MockLink[] = [];
  const failures: number[] = [];
  const link = new ReconnectingLink({
    path: '/dev/serial/by-id/usb-u-blox_GNSS',
    resolvePath: async (p) => {
      const t = fsLinks.get(p);
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return t;
    },
    createLink: (resolved) => {
      const m = new MockLink(resolved);
      const n = failures.shift();
      if (n) m.failOpens(n);
      links.push(m);
      return m;
    },
    backoff: { initialMs: 100, maxMs: 300, factor: 2, jitter: 0 },
    clock,
    timers,
    ...extra,
  });
  return { clock, timers, fsLinks, links, failures, link };
}

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitter only ever shortens it within its fraction', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 }))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1)).toBe(400);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 0)).toBe(800);
    expect(backoffDelay(1e6, { initialMs: 100, maxMs: 1000 })).toBeLessThanOrEqual(1000);
  });
});

describe('ReconnectingLink (port supervisor)', () => {
  it('reports a vanished port, retries with capped backoff while it is gone, and reopens on the new node', async () => {
    const { timers, fsLinks, links, link } = rig();
    const got: string[] = [];
    link.onData((c) => got.push(new TextDecoder().decode(c)));
    await link.open();
    expect(link.health()).toMatchObject({ state: 'open', resolvedPath: '/dev/ttyACM0', opens: 1 });
    links[0]!.receive('$A\r\n');
    expect(got).toEqual(['$A\r\n']);

    // Unplugged: the fd fails with EIO and udev removes the by-id link.
    fsLinks.delete('/dev/serial/by-id/usb-u-blox_GNSS');
    links[0]!.vanish();
    expect(link.health().state).toBe('down');
    expect(link.health().errors['SERIAL_VANISHED']).toBe(1);
    expect(link.health().lastError).toContain('EIO');

    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(timers.pendingDelays().find((d) => d !== 1000)!);
      timers.advance(delays.at(-1)!);
      await settle();
    }
    expect(delays).toEqual([100, 200, 300, 300]);
    expect(link.health().errors['SERIAL_OPEN_FAILED']).toBe(4);

    // Plugged back in, enumerated as ttyACM1 this time: the link is re-resolved, not reused.
    fsLinks.set('/dev/serial/by-id/usb-u-blox_GNSS', '/dev/ttyACM1');
    timers.advance(300);
    await settle();
    expect(link.health()).toMatchObject({ state: 'open', resolvedPath: '/dev/ttyACM1', opens: 2, failedAttempts: 0 });
    expect(links.at(-1)!.endpoint).toBe('/dev/ttyACM1');
    links.at(-1)!.receive('$B\r\n');
    // A late chunk from the dead port is ignored.
    expect(got).toEqual(['$A\r\n', '$B\r\n']);
    await link.close();
  });

  it('drops a port whose by-id link moved while the old fd stayed quietly open (stale ttyUSB trap)', async () => {
    const { timers, fsLinks, links, link } = rig({ watchdogMs: 500 });
    await link.open();
    fsLinks.set('/dev/serial/by-id/usb-u-blox_GNSS', '/dev/ttyACM3');
    timers.advance(500);
    await settle();
    expect(link.health().errors['SERIAL_PATH_MOVED']).toBe(1);
    expect(links[0]!.isOpen).toBe(false);
    timers.advance(100);
    await settle();
    expect(link.health()).toMatchObject({ state: 'open', resolvedPath: '/dev/ttyACM3' });
    await link.close();
  });

  it('counts a port the watchdog finds gone as vanished, once, whether the watchdog or the failing fd notices first', async () => {
    // Watchdog first (a loaded machine: the by-id link is gone before the read fails).
    const a = rig({ watchdogMs: 500 });
    await a.link.open();
    a.fsLinks.delete('/dev/serial/by-id/usb-u-blox_GNSS');
    a.timers.advance(500);
    await settle();
    expect(a.link.health().state).toBe('down');
    expect(a.link.health().errors).toMatchObject({ SERIAL_PATH_GONE: 1, SERIAL_VANISHED: 1 });
    expect(a.links[0]!.isOpen).toBe(false);
    a.links[0]!.vanish(); // the late EIO from the dropped fd
    expect(a.link.health().errors['SERIAL_VANISHED']).toBe(1);
    await a.link.close();

    // The fd first: counted by the close, and the watchdog has nothing left to drop.
    const b = rig({ watchdogMs: 500 });
    await b.link.open();
    b.fsLinks.delete('/dev/serial/by-id/usb-u-blox_GNSS');
    b.links[0]!.vanish();
    b.timers.advance(500);
    await settle();
    expect(b.link.health().state).toBe('down');
    expect(b.link.health().errors['SERIAL_VANISHED']).toBe(1);
    expect(b.link.health().errors['SERIAL_PATH_GONE']).toBeUndefined();
    await b.link.close();
  });

  it('reports a silent port as stale, clears it on data, and reopens a stale port when asked', async () => {
    const { clock, timers, links, link } = rig({ staleAfterMs: 2000, watchdogMs: 500 });
    await link.open();
    clock.advance(1500);
    expect(link.health().state).toBe('open');
    clock.advance(1000);
    expect(link.health().state).toBe('stale');
    links[0]!.receive('x');
    expect(link.health().state).toBe('open');
    await link.close();

    const r = rig({ staleAfterMs: 2000, watchdogMs: 500, reopenWhenStale: true });
    await r.link.open();
    r.timers.advance(3000);
    await settle();
    expect(r.link.health().errors['SERIAL_STALE_REOPEN']).toBeGreaterThanOrEqual(1);
    r.timers.advance(100);
    await settle();
    expect(r.links.length).toBeGreaterThanOrEqual(2);
    expect(r.links[0]!.isOpen).toBe(false);
    await r.link.close();
    void timers;
  });

  it('close() stops supervision: no retry, one close notification', async () => {
    const { timers, links, link } = rig();
    const closes: Array<Error | undefined> = [];
    link.onClose((e) => closes.push(e));
    await link.open();
    links[0]!.vanish();
    await link.close();
    timers.advance(60_000);
    await settle();
    expect(links).toHaveLength(1);
    expect(closes).toEqual([undefined]);
    expect(link.health().state).toBe('closed');
  });
});

describe('NmeaSerialSource over a mock port', () => {
  it('goes starting → up → stale → down and counts bad input without dropping the stream', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const timers = new ManualTimers(clock);
    const mock = new MockLink('/dev/ttyACM0');
    const link = new ReconnectingLink({ path: mock.endpoint, resolvePath: async (p) => p, createLink: () => mock, clock, timers, backoff: { jitter: 0 } });
    const source = new NmeaSerialSource({ id: 'gnss0', link, clock, timers, staleAfterMs: 3000 });
    const readings: Reading[] = [];
    await source.start((r) => readings.push(r));
    expect(source.health().state).toBe('starting');
    mock.receive(encodeNmeaSentence('GPGGA,120000.00,5330.00000,N,00956.00000,E,1,07,1.2,15.0,M,40.0,M,,'));
    mock.receive('garbage\r\n$GPGGA,120000.00,5330*00\r\n');
    timers.advance(250); // quiet line closes the epoch
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({ source: 'gnss0', modality: 'gnss', value: { lat: 53.5, fixMode: '3d', alt: 15 }, quality: { ok: true, hdop: 1.2 } });
    const h = source.health();
    expect(h).toMatchObject({ state: 'up', readings: 1, discardedBytes: 7 });
    expect(h.errors).toMatchObject({ NMEA_FRAMING_NO_START: 1, NMEA_BAD_CHECKSUM: 1 });
    clock.advance(4000);
    expect(source.health().state).toBe('stale');
    mock.vanish();
    expect(source.health().state).toBe('down');
    await source.stop();
  });
});

describe('TcpLink (ser2net style)', () => {
  it('delivers bytes, reports a peer that drops the connection as vanished, and is reopened by the supervisor', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.write(encodeNmeaSentence(`GPZDA,120000.00,01,03,2026,,`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const link = new ReconnectingLink({ path: `tcp://127.0.0.1:${port}`, resolvePath: async (p) => p, createLink: () => new TcpLink({ host: '127.0.0.1', port }), backoff: { initialMs: 20, maxMs: 100 } });
    let text = '';
    link.onData((c) => (text += new TextDecoder().decode(c)));
    await link.open();
    await waitFor(() => text.includes('GPZDA'), 'first bytes over TCP');
    sockets[0]!.destroy();
    await waitFor(() => (link.health().errors['SERIAL_VANISHED'] ?? 0) === 1, 'peer drop noticed');
    await waitFor(() => link.health().opens === 2 && sockets.length === 2, 'reconnected');
    await link.write(new TextEncoder().encode('hello'));
    const echoed = await new Promise<string>((r) => sockets[1]!.once('data', (d) => r(d.toString())));
    expect(echoed).toBe('hello');
    await link.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

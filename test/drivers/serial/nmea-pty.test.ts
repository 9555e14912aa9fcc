import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../../core/reading.ts';
import type { GnssValue } from '../../../drivers/nmea/gnss-reading.ts';
import { NmeaSerialSource } from '../../../drivers/nmea/nmea-serial-source.ts';
import { ReconnectingLink } from '../../../drivers/serial/reconnecting-link.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { SocatPtyPair } from '../../../hil/pty.ts';
import { simulatedEpoch, waitFor } from './helpers.ts';

/**
 * A GNSS receiver on a real pty (socat) read through node-serialport: data flows, the cable
 * is pulled (socat killed) mid-stream and put back (pty recreated at the same link path on a
 * new /dev/pts node), and the source notices, reports it, reopens and keeps emitting.
 */
describe('NmeaSerialSource through a real socat pty', () => {
  let dir: string;
  let pair: SocatPtyPair;
  let source: NmeaSerialSource;
  let writer: ReconnectingLink;
  let pump: ReturnType<typeof setInterval> | undefined;
  const readings: Reading[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'place-agent-pty-'));
    pair = new SocatPtyPair(path.join(dir, 'gnss-writer'), path.join(dir, 'gnss-by-id'));
    await pair.start();
    const serial = (p: string) => new SerialPortLink({ path: p, baudRate: 9600 });
    writer = new ReconnectingLink({ path: pair.linkA, createLink: serial, backoff: { initialMs: 50, maxMs: 400 }, watchdogMs: 200 });
    source = new NmeaSerialSource({
      id: 'gnss-pty',
      link: new ReconnectingLink({ path: pair.linkB, createLink: serial, backoff: { initialMs: 50, maxMs: 400 }, staleAfterMs: 3000, watchdogMs: 200 }),
      idleFlushMs: 100,
    });
    await writer.open();
    await source.start((r) => readings.push(r));
    let n = 0;
    pump = setInterval(() => {
      if (!writer.isOpen) return;
      writer.write(new TextEncoder().encode(simulatedEpoch(n++, new Date()))).catch(() => {});
    }, 40);
  });

  afterAll(async () => {
    if (pump) clearInterval(pump);
    await source?.stop();
    await writer?.close();
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits gnss readings, survives garbage, notices the pty vanishing and recovers when it is recreated', async () => {
    await waitFor(() => readings.length >= 5, 'first readings');
    const first = readings[0]! as Reading<GnssValue>;
    expect(first.modality).toBe('gnss');
    expect(first.quality.ok).toBe(true);
    expect(first.value.fixMode).toBe('3d');
    expect(first.value.lat).toBeGreaterThan(53.5);
    expect(first.value.gnssTimeStatus).toBe('ok');
    expect(first.quality.accuracyM).toBeCloseTo(1.5, 9); // GST: sqrt(1.2² + 0.9²)
    expect(first.quality.hdop).toBe(0.9);
    expect(source.health().state).toBe('up');
    const firstPort = source.health().detail;

    // Line noise: counted as discarded, the stream continues.
    await writer.write(new TextEncoder().encode('\x00\xff garbage $GPGGA,broken*00\r\n'));
    await waitFor(() => source.health().discardedBytes > 0 && (source.health().errors['NMEA_BAD_CHECKSUM'] ?? 0) >= 1, 'garbage counted');

    await pair.kill();
    await waitFor(() => source.health().state === 'down', 'source reports the port down');
    expect(source.health().errors['SERIAL_VANISHED']).toBeGreaterThanOrEqual(1);
    const before = readings.length;

    await pair.start();
    await waitFor(() => readings.length >= before + 5, 'readings after the pty came back');
    const h = source.health();
    expect(h.state).toBe('up');
    expect(h.readings).toBe(readings.length);
    expect(h.detail ?? '').toContain('port /dev/pts/');
    expect(firstPort ?? '').toContain('port /dev/pts/');
    const last = readings.at(-1)! as Reading<GnssValue>;
    expect(last.quality.ok).toBe(true);
  });

  it('recovers again when socat is SIGKILLed and its link is left dangling', async () => {
    const vanishedBefore = source.health().errors['SERIAL_VANISHED'] ?? 0;
    await pair.kill('SIGKILL');
    await waitFor(() => source.health().state === 'down', 'source reports the port down');
    expect(source.health().errors['SERIAL_VANISHED']).toBeGreaterThan(vanishedBefore);
    const before = readings.length;
    await pair.start();
    await waitFor(() => readings.length >= before + 5, 'readings after the second recovery');
    expect(source.health().state).toBe('up');
  });
});


import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../../core/reading.ts';
import { GpsdSource } from '../../../drivers/gpsd/gpsd-source.ts';
import type { GnssValue } from '../../../drivers/nmea/gnss-reading.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { GpsdDaemon } from '../../../hil/gpsd.ts';
import { freePort } from '../../../hil/ports.ts';
import { SocatPtyPair } from '../../../hil/pty.ts';
import { simulatedEpoch, waitFor } from '../serial/helpers.ts';

/**
 * GPS through a real gpsd: NMEA is written into one end of a socat pty, gpsd (127.0.0.1,
 * ephemeral port) reads the other, GpsdSource reads gpsd. Then gpsd is killed and started
 * again on the same port, and the source reconnects, re-subscribes and keeps emitting.
 */
describe('GpsdSource against a real gpsd reading a pty', () => {
  let dir: string;
  let pair: SocatPtyPair;
  let gpsd: GpsdDaemon;
  let writer: SerialPortLink;
  let source: GpsdSource;
  let pump: ReturnType<typeof setInterval> | undefined;
  const readings: Array<Reading<GnssValue>> = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'place-agent-gpsd-'));
    pair = new SocatPtyPair(path.join(dir, 'receiver'), path.join(dir, 'gpsd-side'));
    await pair.start();
    writer = new SerialPortLink({ path: pair.linkA, baudRate: 9600 });
    await writer.open();
    let n = 0;
    pump = setInterval(() => {
      writer.write(new TextEncoder().encode(simulatedEpoch(n++, new Date()))).catch(() => {});
    }, 100);
    gpsd = new GpsdDaemon(pair.linkB, await freePort(), dir);
    await gpsd.start();
    source = new GpsdSource({ id: 'gpsd', host: '127.0.0.1', port: gpsd.port, backoff: { initialMs: 50, maxMs: 500 } });
    await source.start((r) => readings.push(r as Reading<GnssValue>));
  });

  afterAll(async () => {
    if (pump) clearInterval(pump);
    await source?.stop();
    await gpsd?.stop('SIGKILL');
    await writer?.close();
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits gnss readings from TPV with SKY HDOP and GST accuracy, and recovers after gpsd is killed and restarted', async () => {
    await waitFor(() => readings.some((r) => r.value.fixMode === '3d' && r.quality.hdop !== undefined), 'a 3D reading with SKY hdop');
    const r = readings.find((x) => x.value.fixMode === '3d' && x.quality.hdop !== undefined)!;
    expect(r.modality).toBe('gnss');
    expect(r.value.lat).toBeGreaterThan(53.5);
    expect(r.value.lat).toBeLessThan(53.6);
    expect(r.value.lon).toBeCloseTo(9 + 56.12345 / 60, 6);
    expect(r.value.alt).toBeCloseTo(12.3, 3);
    expect(r.quality.ok).toBe(true);
    expect(r.quality.hdop).toBeCloseTo(0.9, 6);
    // GST (σlat 1.2 m, σlon 0.9 m) wins over HDOP × UERE once gpsd has reported one for the epoch.
    await waitFor(() => readings.some((x) => x.quality.status?.includes('accuracy:gst') === true), 'a reading with GST accuracy');
    expect(readings.find((x) => x.quality.status?.includes('accuracy:gst'))!.quality.accuracyM).toBeCloseTo(1.5, 6);
    const byHdop = readings.find((x) => x.quality.status?.includes('accuracy:hdop'));
    if (byHdop) expect(byHdop.quality.accuracyM).toBeCloseTo(0.9 * 5, 6);
    expect(r.value.gnssTimeStatus).toBe('ok');
    expect(source.health().state).toBe('up');

    await gpsd.stop('SIGKILL');
    await waitFor(() => source.health().state === 'down', 'source reports gpsd down');
    expect(source.health().errors['SERIAL_VANISHED']).toBeGreaterThanOrEqual(1);
    const before = readings.length;

    await gpsd.start();
    await waitFor(() => readings.length >= before + 3, 'readings after gpsd restart');
    const h = source.health();
    expect(h.state).toBe('up');
    expect(h.detail).toMatch(/connections [2-9]/);
  });
});

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/log.ts';
import type { Reading } from '../../../core/reading.ts';
import { GpsdSource } from '../../../drivers/gpsd/gpsd-source.ts';
import type { GnssValue } from '../../../drivers/nmea/gnss-reading.ts';
import { waitFor } from '../serial/helpers.ts';

/**
 * GpsdSource on input a real gpsd does not send: malformed and implausible reports, and a
 * flood of garbage lines. The peer is a loopback TCP server (ephemeral port) that answers
 * the source's ?WATCH with the lines under test, since gpsd itself cannot be made to emit them.
 */
describe('GpsdSource on bad gpsd output', () => {
  let server: Server | undefined;
  let source: GpsdSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function serve(lines: () => string): Promise<number> {
    server = createServer((sock: Socket) => {
      sock.once('data', () => sock.write(lines()));
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  const now = (): string => new Date().toISOString();

  it('keeps a fix whose minor field is malformed, and flags an implausible speed instead of trusting it', async () => {
    const t = now();
    const port = await serve(() =>
      [
        `{"class":"SKY","time":"${t}","hdop":0.9,"uSat":9}`,
        `{"class":"TPV","mode":3,"status":1,"time":"${t}","lat":52.5,"lon":13.4,"altMSL":40.5,"speed":"fast","track":12.5,"eph":8.0}`,
        `{"class":"TPV","mode":3,"status":1,"time":"${t}","lat":52.5,"lon":13.4,"altMSL":40.5,"speed":4600,"track":12.5}`,
        '',
      ].join('\n'),
    );
    const readings: Array<Reading<GnssValue>> = [];
    source = new GpsdSource({ id: 'gpsd', host: '127.0.0.1', port, backoff: { initialMs: 50, maxMs: 200 } });
    await source.start((r) => readings.push(r as Reading<GnssValue>));
    await waitFor(() => readings.length >= 2, 'two readings', 10_000);
    const [first, second] = readings;
    expect(first!.value).toMatchObject({ lat: 52.5, lon: 13.4, alt: 40.5, trackDeg: 12.5 });
    expect(first!.value.speedMps).toBeUndefined();
    expect(first!.quality).toMatchObject({ ok: true, hdop: 0.9 });
    expect(second!.value.speedMps).toBeUndefined();
    expect(second!.value).toMatchObject({ alt: 40.5, trackDeg: 12.5 });
    expect(second!.quality.ok).toBe(false);
    expect(second!.quality.status).toContain('implausible:speedMps');
    expect(source.health().errors).toMatchObject({ GPSD_BAD_FIELD: 1, GNSS_IMPLAUSIBLE: 1 });
  });

  it('counts every one of 20 000 garbage lines and logs them at a bounded rate', async () => {
    const garbage = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? '{"class":"TPV","mode":9}' : '$$$ not json')).join('\n') + '\n';
    const port = await serve(() => garbage);
    const logLines: string[] = [];
    source = new GpsdSource({ id: 'gpsd', host: '127.0.0.1', port, logger: createLogger('t', 'debug', (l) => logLines.push(l)) });
    await source.start(() => {});
    await waitFor(() => (source!.health().errors.GPSD_BAD_JSON ?? 0) + (source!.health().errors.GPSD_BAD_FIELD ?? 0) === 20_000, 'every line counted', 20_000);
    expect(source.health().errors).toMatchObject({ GPSD_BAD_JSON: 10_000, GPSD_BAD_FIELD: 10_000 });
    // 5 in detail per 10 s interval (the test runs within one or two), then one summary each.
    expect(logLines.filter((l) => l.includes('rejected')).length).toBeLessThanOrEqual(12);
  });
});

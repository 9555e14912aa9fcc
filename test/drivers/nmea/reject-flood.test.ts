import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { createLogger } from '../../../core/log.ts';
import { RejectLog, type RejectLogLine } from '../../../core/reject-log.ts';
import { AisSource } from '../../../drivers/ais/ais-source.ts';
import { encodeNmeaSentence } from '../../../drivers/nmea/checksum.ts';
import { NmeaSerialSource } from '../../../drivers/nmea/nmea-serial-source.ts';
import { createNmeaStreamDecoder } from '../../../drivers/nmea/stream-decoder.ts';
import { ManualTimers } from '../../../core/timers.ts';
import { MockLink } from '../ais/mock-link.ts';

const FIVE_MB = 5 * 1024 * 1024;
const CHUNK = 64 * 1024;

function chunks(bytes: Uint8Array, each: (c: Uint8Array, i: number) => void): void {
  for (let i = 0, n = 0; i < bytes.length; i += CHUNK, n++) each(bytes.subarray(i, i + CHUNK), n);
}

describe('RejectLog: every rejection counted, lines bounded per interval', () => {
  it('writes the first few in detail, then one summary per interval with the counts by code', () => {
    const clock = new ManualClock(0);
    const lines: RejectLogLine[] = [];
    const log = new RejectLog({ clock, intervalMs: 1000, detailPerInterval: 3, write: (l) => lines.push(l) });
    for (let i = 0; i < 1000; i++) log.reject(i % 2 ? 'A' : 'B', `reject ${i}`);
    expect(lines.map((l) => l.kind)).toEqual(['reject', 'reject', 'reject']);
    clock.advance(1000);
    log.tick();
    expect(lines[3]).toEqual({ kind: 'summary', suppressed: 997, byCode: { A: 499, B: 498 }, intervalMs: 1000 });
    // The next interval has room for detail again.
    log.reject('A', 'after');
    expect(lines[4]).toMatchObject({ kind: 'reject', message: 'after' });
    expect(log.counts.get('A') + log.counts.get('B')).toBe(1001);
  });

  it('builds a held-back message never (lazy messages cost nothing when suppressed)', () => {
    const log = new RejectLog({ clock: new ManualClock(0), detailPerInterval: 1, write: () => {} });
    let built = 0;
    for (let i = 0; i < 100; i++) log.reject('X', () => `m${++built}`);
    expect(built).toBe(1);
  });
});

describe('a flood of garbage is counted, not printed line by line', () => {
  it('5 MB of "$" through the NMEA source: every cut-short "sentence" counted, a bounded number of log lines', async () => {
    const clock = new ManualClock(0);
    const logLines: string[] = [];
    const link = new MockLink();
    const source = new NmeaSerialSource({ id: 'gps', link, clock, timers: new ManualTimers(clock), logger: createLogger('t', 'debug', (l) => logLines.push(l)) });
    await source.start(() => {});
    // One chunk per 100 ms of the injected clock: 80 chunks span 8 s, under one 10 s interval.
    chunks(new Uint8Array(FIVE_MB).fill(0x24), (c) => {
      link.feed(c);
      clock.advance(100);
    });
    await source.stop();
    const h = source.health();
    // Each '$' cuts the one before it short; the last is incomplete at stop.
    expect(h.errors).toMatchObject({ NMEA_FRAMING_INTERRUPTED: FIVE_MB - 1, NMEA_FRAMING_INCOMPLETE: 1 });
    expect(h.discardedBytes).toBe(FIVE_MB);
    const rejectLines = logLines.filter((l) => l.includes('"ns":"t:nmea:gps"'));
    // 5 in detail, then one summary; nothing per byte.
    expect(rejectLines.length).toBeLessThanOrEqual(6);
    const summary = JSON.parse(rejectLines.at(-1)!) as { msg: string; byCode: Record<string, number> };
    expect(summary.msg).toMatch(/more rejected input\(s\) not logged one by one/);
    expect(Object.values(summary.byCode).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('200,000 "$\\n" lines over 100 s of clock: counted exactly, at most 6 lines per 10 s interval', async () => {
    const clock = new ManualClock(0);
    const logLines: string[] = [];
    const link = new MockLink();
    const source = new NmeaSerialSource({ id: 'gps', link, clock, timers: new ManualTimers(clock), logger: createLogger('t', 'debug', (l) => logLines.push(l)) });
    await source.start(() => {});
    const input = new TextEncoder().encode('$\n'.repeat(200_000));
    chunks(input, (c) => {
      link.feed(c);
      clock.advance(Math.round(100_000 / Math.ceil(input.length / CHUNK)));
    });
    await source.stop();
    expect(source.health().errors).toMatchObject({ NMEA_NO_CHECKSUM: 200_000 });
    const intervals = Math.ceil(100_000 / 10_000) + 1;
    expect(logLines.length).toBeLessThanOrEqual(6 * intervals);
    expect(logLines.length).toBeGreaterThanOrEqual(6);
  });

  it('the AIS source counts a flood of non-sentences and logs a bounded number of lines', async () => {
    const clock = new ManualClock(0);
    const logLines: string[] = [];
    const link = new MockLink();
    const source = new AisSource({ id: 'ais', link, clock, logger: createLogger('t', 'debug', (l) => logLines.push(l)) });
    await source.start(() => {});
    chunks(new TextEncoder().encode('!\n'.repeat(500_000)), (c) => link.feed(c));
    await source.stop();
    expect(source.health().errors).toMatchObject({ AIS_NOT_A_SENTENCE: 500_000 });
    expect(logLines.filter((l) => l.includes('rejected')).length).toBeLessThanOrEqual(6);
  });

  it('decode nmea: 5 MB of "$" comes out as one framing event per chunk that says how many runs it stands for', () => {
    const d = createNmeaStreamDecoder();
    const events = [] as ReturnType<typeof d.push>;
    chunks(new Uint8Array(FIVE_MB).fill(0x24), (c) => events.push(...d.push(c)));
    events.push(...d.flush());
    expect(events.length).toBeLessThanOrEqual(FIVE_MB / CHUNK + 1);
    let runs = 0;
    for (const e of events) {
      expect(e.ok).toBe(false);
      if (!e.ok) runs += Number(/\((\d+) runs/.exec(e.reason)?.[1] ?? 1);
    }
    expect(runs).toBe(FIVE_MB);
    // A good sentence after the flood still decodes.
    const after = d.push(new TextEncoder().encode(encodeNmeaSentence('GPZDA,120000.00,01,03,2026,00,00')));
    expect(after.filter((e) => e.ok)).toHaveLength(1);
  });
});

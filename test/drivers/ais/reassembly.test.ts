import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { DecodeEvent } from '../../../core/stream-decoder.ts';
import { createAisStreamDecoder } from '../../../drivers/ais/stream-decoder.ts';
import { sentence } from './ais-encoder.ts';

// Type 5 "EVER DIADEM" from gpsd sample.aivdm, re-split so the fragments can be reordered.
const P1 = '55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8';
const P2 = '88888888880';
const frag = (num: number, seq: string, channel: string, payload: string, fill: number): string =>
  sentence(payload, fill, { count: 2, num, seq, channel }) + '\r\n';

function run(clock: ManualClock, steps: (string | number)[]): DecodeEvent[] {
  const d = createAisStreamDecoder({ clock });
  const out: DecodeEvent[] = [];
  for (const s of steps) {
    if (typeof s === 'number') clock.advance(s);
    else out.push(...d.push(Buffer.from(s)));
  }
  return out;
}
const codes = (ev: DecodeEvent[]): string[] => ev.map((e) => (e.ok ? `ok:${String(e.message.shipname)}` : e.code));

describe('AIS multi-fragment reassembly', () => {
  it('joins two fragments and keeps interleaved messages on channels A and B apart', () => {
    const ev = run(new ManualClock(), [frag(1, '1', 'A', P1, 0), frag(1, '1', 'B', P1, 0), frag(2, '1', 'B', P2, 2), frag(2, '1', 'A', P2, 2)]);
    expect(codes(ev)).toEqual(['ok:EVER DIADEM', 'ok:EVER DIADEM']);
  });

  it('rejects a second fragment that arrives before the first as out of order', () => {
    const ev = run(new ManualClock(), [frag(2, '3', 'A', P2, 2), frag(1, '3', 'A', P1, 0)]);
    expect(codes(ev)).toEqual(['AIS_FRAGMENT_OUT_OF_ORDER']);
  });

  it('reports a partial message as missing fragments once the timeout passes, and then ignores its late tail', () => {
    const clock = new ManualClock(1_000);
    const ev = run(clock, [frag(1, '4', 'A', P1, 0), 5_001, frag(2, '4', 'A', P2, 2)]);
    expect(codes(ev)).toEqual(['AIS_FRAGMENT_MISSING', 'AIS_FRAGMENT_OUT_OF_ORDER']);
    expect(ev[0]!.ok ? '' : ev[0]!.reason).toMatch(/timed out/);
  });

  it('completes a message whose fragments arrive just inside the timeout', () => {
    const ev = run(new ManualClock(0), [frag(1, '4', 'A', P1, 0), 5_000, frag(2, '4', 'A', P2, 2)]);
    expect(codes(ev)).toEqual(['ok:EVER DIADEM']);
  });

  it('reports a message superseded by a new first fragment with the same id', () => {
    const ev = run(new ManualClock(), [frag(1, '5', 'A', P1, 0), frag(1, '5', 'A', P1, 0), frag(2, '5', 'A', P2, 2)]);
    expect(codes(ev)).toEqual(['AIS_FRAGMENT_MISSING', 'ok:EVER DIADEM']);
  });

  it('reports fragment 3 of 3 following fragment 1 as out of order', () => {
    const s = (num: number): string => sentence(num === 1 ? P1 : P2, 0, { count: 3, num, seq: '6' }) + '\n';
    const ev = run(new ManualClock(), [s(1), s(3)]);
    expect(codes(ev)).toEqual(['AIS_FRAGMENT_OUT_OF_ORDER']);
  });

  it('reports partial messages still held at end of input', () => {
    const d = createAisStreamDecoder({ clock: new ManualClock() });
    expect(d.push(Buffer.from(frag(1, '7', 'B', P1, 0)))).toEqual([]);
    expect(codes(d.flush())).toEqual(['AIS_FRAGMENT_MISSING']);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { AisDecoder, type AisLineResult } from '../../../drivers/ais/ais-decoder.ts';
import { TYPE24_RING_SIZE } from '../../../drivers/ais/type24.ts';
import { BitWriter, sentence } from './ais-encoder.ts';

// Type 24 parts built field by field (ITU-R M.1371-5 Tables 73 and 74) for these tests.
function partA(mmsi: number, shipname: string, channel: string): string {
  const { payload, fill } = new BitWriter().u(24, 6).u(0, 2).u(mmsi, 30).u(0, 2).text(shipname, 20).u(0, 8).armour();
  return sentence(payload, fill, { channel });
}
function partB(mmsi: number, callsign: string, channel: string): string {
  const w = new BitWriter().u(24, 6).u(0, 2).u(mmsi, 30).u(1, 2).u(37, 8).text('SRT', 7).text(callsign, 7);
  const { payload, fill } = w.u(10, 9).u(5, 9).u(2, 6).u(3, 6).u(0, 6).armour();
  return sentence(payload, fill, { channel });
}

function feed(lines: string[]): AisLineResult[] {
  const d = new AisDecoder({ clock: new ManualClock(0) });
  return lines.flatMap((l) => d.pushLine(l));
}
const summary = (r: AisLineResult[]): string[] =>
  r.map((e) => (e.ok ? `ok ${e.message.mmsi} ${String(e.message.shipname)}/${String(e.message.callsign)}` : `${e.error.code} ${String(e.error.details.part)} ${String(e.error.details.mmsi)}`));

describe('AIS six-bit text', () => {
  it('ends at the first "@" as gpsd does: a call sign sent as "@@J130B" is empty', () => {
    const [m] = feed([partA(244000001, 'NORTH@STAR', 'A'), partB(244000001, '@@J130B', 'A')]);
    expect(m).toMatchObject({ ok: true, message: { shipname: 'NORTH', callsign: '' } });
  });

  it('keeps inner spaces and drops trailing ones', () => {
    const [m] = feed([partA(244000002, 'DE  ZEEUW   ', 'A'), partB(244000002, 'PD 12', 'A')]);
    expect(m).toMatchObject({ ok: true, message: { shipname: 'DE  ZEEUW', callsign: 'PD 12' } });
  });
});

describe('type 24 part A/B pairing, per channel like gpsd', () => {
  it('pairs parts on the same channel, with "1" and an empty channel counted as A', () => {
    expect(summary(feed([partA(244000003, 'ALPHA', '1'), partB(244000003, 'PA1', 'A')]))).toEqual(['ok 244000003 ALPHA/PA1']);
    expect(summary(feed([partA(244000004, 'BRAVO', ''), partB(244000004, 'PB2', 'A')]))).toEqual(['ok 244000004 BRAVO/PB2']);
    expect(summary(feed([partA(244000005, 'CHARLIE', '2'), partB(244000005, 'PC3', 'B')]))).toEqual(['ok 244000005 CHARLIE/PC3']);
  });

  it('does not pair a part B with a part A heard on the other channel', () => {
    expect(summary(feed([partA(244000006, 'DELTA', 'A'), partB(244000006, 'PD4', 'B')]))).toEqual(['AIS_TYPE24_UNPAIRED B 244000006']);
  });

  it(`pairs across ${TYPE24_RING_SIZE - 1} other part A on the channel, but not across ${TYPE24_RING_SIZE}: the overwritten part A is reported`, () => {
    const others = (n: number) => Array.from({ length: n }, (_, i) => partA(211000000 + i, `OTHER${i}`, 'A'));
    expect(summary(feed([partA(244000007, 'ECHO', 'A'), ...others(TYPE24_RING_SIZE - 1), partB(244000007, 'PE5', 'A')]))).toEqual(['ok 244000007 ECHO/PE5']);
    expect(summary(feed([partA(244000007, 'ECHO', 'A'), ...others(TYPE24_RING_SIZE), partB(244000007, 'PE5', 'A')]))).toEqual([
      'AIS_TYPE24_UNPAIRED A 244000007',
      'AIS_TYPE24_UNPAIRED B 244000007',
    ]);
  });

  it('part A on channel B does not use up channel A slots', () => {
    const onB = Array.from({ length: TYPE24_RING_SIZE }, (_, i) => partA(211000000 + i, `OTHER${i}`, 'B'));
    expect(summary(feed([partA(244000008, 'FOXTROT', 'A'), ...onB, partB(244000008, 'PF6', 'A')]))).toEqual(['ok 244000008 FOXTROT/PF6']);
  });

  it('a repeated part B does not pair twice with the same part A', () => {
    expect(summary(feed([partA(244000009, 'GOLF', 'A'), partB(244000009, 'PG7', 'A'), partB(244000009, 'PG7', 'A')]))).toEqual([
      'ok 244000009 GOLF/PG7',
      'AIS_TYPE24_UNPAIRED B 244000009',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeAisPayload } from '../../../drivers/ais/decode.ts';
import { AisError } from '../../../drivers/ais/errors.ts';
import { parseAisSentence } from '../../../drivers/ais/sentence.ts';
import { BitWriter, positionA, sentence } from './ais-encoder.ts';

function payloadOf(s: string): { payload: string; fill: number } {
  const p = parseAisSentence(s);
  if (!p.ok) throw p.error;
  return { payload: p.value.payload, fill: p.value.fillBits };
}
const decode = (s: string, scaled = true): Record<string, unknown> => {
  const { payload, fill } = payloadOf(s);
  return decodeAisPayload(payload, fill, { scaled });
};

describe('AIS payload codec', () => {
  it('scales rate of turn as ITU-R M.1371-5 defines it, keeping the sign gpsd drops', () => {
    // gpsdecode 3.22 prints 18 for both +20 and -20 (checked on this machine); the standard is signed.
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, turn: 20 })).turn).toBe(18);
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, turn: -20 })).turn).toBe(-18);
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, turn: 126 })).turn).toBe(709);
  });

  it('renders speed sentinels the way gpsdecode does', () => {
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, speed: 1023 })).speed).toBe('nan');
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, speed: 1022 })).speed).toBe('fast');
    expect(decode(positionA({ mmsi: 1, lon: 0, lat: 0, speed: 1021 })).speed).toBeCloseTo(102.1, 9);
  });

  it('decodes negative positions as two\'s complement (southern and western hemispheres)', () => {
    const m = decode(positionA({ mmsi: 211331640, lon: -600000 * 58.5, lat: -600000 * 33.25, accuracy: true }));
    expect(m).toMatchObject({ mmsi: 211331640, lon: -58.5, lat: -33.25, accuracy: true });
  });

  it('rejects a type 1 too short to carry RAIM with AIS_TOO_SHORT', () => {
    const { payload } = new BitWriter().u(1, 6).u(0, 2).u(1, 30).u(0, 100).armour();
    expect(() => decodeAisPayload(payload, 0)).toThrow(expect.objectContaining({ code: 'AIS_TOO_SHORT' }));
  });

  it('rejects characters outside the 6-bit alphabet with AIS_BAD_ARMOUR', () => {
    expect(() => decodeAisPayload('15RTgt0PAso;90TKcjM8h6g208C{', 0)).toThrow(expect.objectContaining({ code: 'AIS_BAD_ARMOUR' }));
  });

  it('names the type of an unsupported message in the error details', () => {
    try {
      // Type 28 is not defined by ITU-R M.1371-5.
      const { payload, fill } = new BitWriter().u(28, 6).u(0, 2).u(123456789, 30).u(0, 130).armour();
      decodeAisPayload(payload, fill);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AisError);
      expect((e as AisError).code).toBe('AIS_UNSUPPORTED_TYPE');
      expect((e as AisError).details.type).toBe(28);
    }
  });

  it('reports an auxiliary craft\'s type 24 part B with its mother ship instead of dimensions (ITU-R M.585)', () => {
    const w = new BitWriter().u(24, 6).u(0, 2).u(981234567, 30).u(1, 2).u(37, 8).text('ABC', 3).u(1, 4).u(7, 20).text('CALL', 7).u(211331640, 30).u(0, 6);
    const { payload, fill } = w.armour();
    const m = decodeAisPayload(payload, fill);
    expect(m).toMatchObject({ partno: 1, model: 1, serial: 7, mothership_mmsi: 211331640, callsign: 'CALL' });
    expect(String(m.vendorid).startsWith('ABC')).toBe(true);
    expect(m.to_bow).toBeUndefined();
  });

  it('parses AIVDO as own-ship and refuses malformed fragment numbering', () => {
    const own = parseAisSentence(sentence('15RTgt0PAso;90TKcjM8h6g208CQ', 0, { talker: 'AIVDO', channel: '' }));
    expect(own.ok ? own.value.own : own.error.code).toBe(true);
    const bad = parseAisSentence(sentence('15RTgt0PAso;90TKcjM8h6g208CQ', 0, { count: 2, num: 3 }));
    expect(bad.ok ? 'ok' : bad.error.code).toBe('AIS_MALFORMED');
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { DecodeEvent } from '../../../core/stream-decoder.ts';
import { SUPPORTED_AIS_TYPES } from '../../../drivers/ais/decode.ts';
import { createAisStreamDecoder } from '../../../drivers/ais/stream-decoder.ts';
import { gpsdCorpus, sameType26Data } from './corpus.ts';

// Fixture: gpsd 3.22 test/sample.aivdm with gpsdecode -j / -u -j outputs (test/fixtures/gpsd).
const sample = readFileSync(path.join(gpsdCorpus, 'sample.aivdm'));
const chk = (name: string): Record<string, unknown>[] =>
  readFileSync(path.join(gpsdCorpus, name), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function decodeAll(scaled: boolean): DecodeEvent[] {
  const d = createAisStreamDecoder({ clock: new ManualClock(0), scaled });
  // Feed in odd-sized chunks so line framing across chunk borders is exercised too.
  const out: DecodeEvent[] = [];
  for (let i = 0; i < sample.length; i += 97) out.push(...d.push(sample.subarray(i, i + 97)));
  out.push(...d.flush());
  return out;
}

// gpsd's *_text fields are lookup tables we do not reproduce; class/device are envelope fields.
const IGNORED = (k: string): boolean => k === 'device' || k.endsWith('_text');

/**
 * gpsd 3.22 prints type 27 differently when scaled (gpsd_json.c): the navigation status as
 * its legend text instead of the number, and lon/lat rounded to 0.1°. We keep the number and
 * the full 1/10-minute precision; those two differences are the only ones allowed.
 */
const SCALED_TYPE27_STATUS_AS_TEXT = (theirs: Record<string, unknown>, k: string, tolerance: number): boolean =>
  tolerance > 0 && theirs.type === 27 && k === 'status' && typeof theirs.status === 'string';
const TYPE27_LATLON_TOLERANCE = 0.05;

/**
 * Scaled meteorological messages (DAC 1, FI 11 and 31): gpsd prints some code fields
 * (pressure and water level trend, and in FI 31 precipitation type and ice) as words
 * ("decreasing", "N/A"); we keep the code number.
 */
/** Type 26's communication state: gpsd 3.22 prints `"radio":0` whatever was sent; we give the bits sent. */
const TYPE26_RADIO = (msg: Record<string, unknown>, k: string): boolean => msg.type === 26 && k === 'radio' && msg.radio === 0;

const SCALED_CODE_AS_TEXT = (theirs: Record<string, unknown>, k: string, tolerance: number): boolean =>
  tolerance > 0 && theirs.type === 8 && theirs.dac === 1 && ['pressuretend', 'leveltrend', 'preciptype', 'ice'].includes(k) && typeof theirs[k] === 'string';

/**
 * Scaled print precision of gpsd 3.22 for the binary and DGNSS messages: type 17 position
 * %.1f degrees, application positions %.4f, AtoN voltages %.2f, other quantities %.1f.
 * Types 22's and 23's corners are printed as strings ("2.630000"); we give numbers.
 */
function scaledTolerance(theirs: Record<string, unknown>, k: string): number | undefined {
  const t = theirs.type;
  if (t === 17 && (k === 'lon' || k === 'lat')) return TYPE27_LATLON_TOLERANCE;
  if (t === 6 || t === 8) return k === 'lon' || k === 'lat' ? 5.1e-5 : k.startsWith('ana_') ? 0.0051 : 0.051;
  return undefined;
}

/** `msg` is the whole gpsd message `theirs` belongs to (itself, or the message around a repeated group). */
function compare(ours: Record<string, unknown>, theirs: Record<string, unknown>, tolerance: number, msg = theirs): void {
  for (const [k, v] of Object.entries(theirs)) {
    if (IGNORED(k) || SCALED_TYPE27_STATUS_AS_TEXT(msg, k, tolerance) || SCALED_CODE_AS_TEXT(msg, k, tolerance) || TYPE26_RADIO(msg, k)) continue;
    const mine = ours[k];
    const where = `type ${String(msg.type)} mmsi ${String(msg.mmsi)} field ${k}`;
    const special = tolerance > 0 ? scaledTolerance(msg, k) : undefined;
    if (msg.type === 26 && k === 'data') {
      expect(sameType26Data(mine, v), where).toBe(true);
    } else if (tolerance > 0 && Array.isArray(v) && Array.isArray(mine)) {
      // Repeated groups (tidal windows): each element against gpsd's with the same rules.
      expect(mine.length, where).toBe(v.length);
      v.forEach((g: Record<string, unknown>, i) => compare(mine[i] as Record<string, unknown>, g, tolerance, msg));
    } else if (tolerance > 0 && (msg.type === 22 || msg.type === 23) && typeof v === 'string' && typeof mine === 'number') {
      expect(Math.abs(mine - Number(v)), where).toBeLessThanOrEqual(5.1e-7);
    } else if (special !== undefined && typeof v === 'number' && typeof mine === 'number') {
      expect(Math.abs(mine - v), where).toBeLessThanOrEqual(special);
    } else if (tolerance > 0 && msg.type === 27 && (k === 'lon' || k === 'lat') && typeof v === 'number' && typeof mine === 'number') {
      expect(Math.abs(mine - v), where).toBeLessThanOrEqual(TYPE27_LATLON_TOLERANCE);
    } else if (typeof v === 'number' && typeof mine === 'number' && tolerance > 0) {
      // gpsd prints lon/lat with %.6f, course/speed/draught with %.1f.
      expect(Math.abs(mine - v), where).toBeLessThanOrEqual(tolerance);
    } else {
      expect(mine, where).toEqual(v);
    }
  }
}

describe('AIS conformance on gpsd sample.aivdm', () => {
  for (const [scaled, file] of [
    [true, 'sample.aivdm.js.chk'],
    [false, 'sample.aivdm.ju.chk'],
  ] as const) {
    it(`decodes every supported message to the fields of ${file}`, () => {
      const expected = chk(file).filter((m) => SUPPORTED_AIS_TYPES.includes(m.type as number));
      const ours = decodeAll(scaled).flatMap((e) => (e.ok ? [e.message] : []));
      // Every message of the sample: application payloads of 6 and 8 field by field, the rest as raw data.
      expect(expected.length).toBe(97);
      expect(ours.map((m) => [m.type, m.mmsi])).toEqual(expected.map((m) => [m.type, m.mmsi]));
      ours.forEach((m, i) => compare(m, expected[i]!, scaled ? 5.1e-7 : 0));
    });
  }

  it('decodes every message type of the sample (1 to 27): none is rejected as unsupported', () => {
    const types = new Set(chk('sample.aivdm.js.chk').map((m) => m.type as number));
    expect([...types].sort((a, b) => a - b)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect(SUPPORTED_AIS_TYPES.filter((t) => types.has(t))).toHaveLength(27);
    expect(decodeAll(true).filter((e) => !e.ok && e.code === 'AIS_UNSUPPORTED_TYPE')).toEqual([]);
  });

  it('reports type 24 part B sentences without a part A, as gpsd does in its collision tests', () => {
    const unpaired = decodeAll(true).filter((e) => !e.ok && e.code === 'AIS_TYPE24_UNPAIRED');
    expect(unpaired.map((e) => (e.ok ? '' : e.reason))).toEqual([
      'type 24 part B from 271041815 without part A',
      'type 24 part B from 271020195 without part A',
    ]);
  });

  it('rejects the fragment the sample marks as "misses part 1" (no start delimiter) and leaves no partial message behind', () => {
    const events = decodeAll(true);
    const line = events.find((e) => !e.ok && e.raw === 'AIVDM,2,2,1,B,00000000000,2*26');
    expect(line && !line.ok && line.code).toBe('AIS_NOT_A_SENTENCE');
    expect(events.some((e) => !e.ok && (e.code === 'AIS_FRAGMENT_MISSING' || e.code === 'AIS_FRAGMENT_OUT_OF_ORDER'))).toBe(false);
  });

  it('rejects a corpus sentence with one payload character changed as AIS_BAD_CHECKSUM', () => {
    const good = '!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A';
    const bad = good.replace('15RTgt', '15RTgu');
    const d = createAisStreamDecoder({ clock: new ManualClock(0) });
    const ev = [...d.push(Buffer.from(`${bad}\r\n${good}\r\n`)), ...d.flush()];
    expect(ev[0]).toMatchObject({ ok: false, code: 'AIS_BAD_CHECKSUM', raw: bad });
    expect(ev[0]!.ok ? '' : ev[0]!.reason).toMatch(/checksum 4A does not match computed/);
    expect(ev[1]).toMatchObject({ ok: true, message: { mmsi: 371798000 } });
  });
});

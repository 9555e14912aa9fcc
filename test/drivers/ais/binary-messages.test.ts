import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { decodeAisPayload } from '../../../drivers/ais/decode.ts';
import { AisError } from '../../../drivers/ais/errors.ts';
import { AisFragmentAssembler } from '../../../drivers/ais/reassembly.ts';
import { parseAisSentence } from '../../../drivers/ais/sentence.ts';
import { BitWriter, sentence } from './ais-encoder.ts';
import { gpsdCorpus, sameType26Data } from './corpus.ts';

/**
 * Messages 6, 8 (binary), 9 (SAR aircraft), 10 (UTC inquiry), 12, 14 (safety text), 15
 * (interrogation), 16 (assigned mode), 17 (DGNSS broadcast), 22 (channel management), 23
 * (group assignment), 25 and 26 (slot binary) against gpsd 3.22's
 * `gpsdecode` on this machine (installed by hil/setup-system.sh): real messages from gpsd's
 * logs, cut short and lengthened, so the length rules (an inland or AtoN payload only at its
 * exact length, raw `data` otherwise; bounds of each type) are gpsd's, not guessed.
 */

type Json = Record<string, unknown>;

/** Each message's bits, the first of each (type, DAC, FI) found in gpsd's AIS logs. */
function corpusMessages(): Map<string, number[]> {
  const first = new Map<string, number[]>();
  for (const f of ['daemon/ais-nmea-type6-fid55.log', 'daemon/ais-nmea.log', 'sample.aivdm']) {
    const a = new AisFragmentAssembler({ clock: new ManualClock(0) });
    for (const line of readFileSync(path.join(gpsdCorpus, f), 'latin1').split('\n')) {
      const p = parseAisSentence(line.trim());
      if (!p.ok) continue;
      for (const ev of a.push(p.value)) {
        if (!ev.ok) continue;
        const bits = unarmour(ev.value.payload, ev.value.fillBits);
        const n = (s: number, w: number): number => bits.slice(s, s + w).reduce((x, y) => x * 2 + y, 0);
        const type = n(0, 6);
        const key = type === 6 ? `6/${n(72, 10)}/${n(82, 6)}` : type === 8 ? `8/${n(40, 10)}/${n(50, 6)}` : `${type}`;
        if ([6, 8, 9, 10, 12, 14, 15, 16, 17, 22, 23, 25, 26].includes(type) && !first.has(key)) first.set(key, bits);
      }
    }
  }
  return first;
}

function unarmour(payload: string, fill: number): number[] {
  const out: number[] = [];
  for (const ch of payload) {
    const c = ch.charCodeAt(0);
    const v = c >= 96 ? c - 56 : c - 48;
    for (let i = 5; i >= 0; i--) out.push((v >> i) & 1);
  }
  return out.slice(0, out.length - fill);
}

function armoured(bits: number[]): { payload: string; fill: number; line: string } {
  const w = new BitWriter();
  for (const b of bits) w.u(b, 1);
  const { payload, fill } = w.armour();
  return { payload, fill, line: sentence(payload, fill) };
}

/** A type 1 report from MMSI 999999999, sent after each case so gpsdecode's outputs (none for a rejected message) line up with the cases. */
const SEPARATOR = armoured([...[0, 0, 0, 0, 0, 1, 0, 0], ...[...(999_999_999).toString(2).padStart(30, '0')].map(Number), ...new Array<number>(130).fill(0)]).line;

/** gpsdecode -u -j over all `lines` in one run: per line, its message, or undefined where gpsdecode printed none. */
function gpsdecodeAll(lines: string[]): Array<Json | undefined> {
  const input = lines.map((l) => `${l}\n${SEPARATOR}\n`).join('');
  const out = execFileSync('gpsdecode', ['-u', '-j'], { input, stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 64 << 20 }).toString();
  const results: Array<Json | undefined> = [];
  let pending: Json | undefined;
  for (const text of out.split('\n')) {
    if (text === '') continue;
    const m = JSON.parse(text) as Json;
    if (m.mmsi === 999_999_999 && m.type === 1) {
      results.push(pending);
      pending = undefined;
    } else pending = m;
  }
  return results;
}

function ours(payload: string, fill: number): Json | string {
  try {
    return decodeAisPayload(payload, fill, { scaled: false }) as Json;
  } catch (e) {
    if (e instanceof AisError) return e.code;
    throw e;
  }
}

/**
 * gpsd's lookup texts are not reproduced; it prints type 26's `radio` as 0 whatever was sent
 * (we give the bits), and its `data` padding is compared by sameType26Data.
 */
const withoutText = (m: Json): Json =>
  Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'device' && !k.endsWith('_text') && !(m.type === 26 && (k === 'radio' || k === 'data'))));

describe('AIS binary, SAR, safety, DGNSS and group assignment messages against gpsdecode 3.22', () => {
  const messages = corpusMessages();
  const DELTAS = [-100, -50, -13, -6, -1, 0, 1, 6, 24, 48, 400];
  const cases = DELTAS.flatMap((delta) =>
    [...messages].map(([key, bits]) => {
      const cut = delta < 0 ? bits.slice(0, Math.max(38, bits.length + delta)) : [...bits, ...new Array<number>(delta).fill(0)];
      return { delta, key, length: cut.length, ...armoured(cut) };
    }),
  );
  const theirs = gpsdecodeAll(cases.map((c) => c.line));

  it('finds every application of the logs (inland, AtoN, meteorological, IMO addressed, raw) and types 9, 10, 12, 14, 15, 16, 17, 22, 23, 25 and 26', () => {
    expect([...messages.keys()].sort()).toEqual(
      ['9', '10', '12', '14', '15', '16', '17', '22', '23', '25', '26', '6/0/29', '6/1/12', '6/1/14', '6/1/18', '6/1/2', '6/1/30', '6/1/32', '6/1/40', '6/200/3', '6/200/55', '6/232/1', '6/235/10', '6/669/11',
        '8/1/11', '8/1/16', '8/1/31', '8/200/10', '8/211/1', '8/366/56', '8/366/57', '8/367/33', '8/415/1'].sort(),
    );
  });

  it('gets one gpsdecode result per case', () => {
    expect(theirs).toHaveLength(cases.length);
  });

  for (const delta of DELTAS) {
    it(`decodes each of them cut or padded by ${delta} bits exactly as gpsdecode -u -j does, or rejects it where gpsdecode prints nothing`, () => {
      cases.forEach((c, i) => {
        if (c.delta !== delta) return;
        const mine = ours(c.payload, c.fill);
        const where = `${c.key} at ${c.length} bits`;
        const gpsd = theirs[i];
        if (gpsd === undefined) expect(mine, where).toMatch(/^AIS_TOO_(SHORT|LONG)$/);
        else {
          expect(mine, where).toEqual(expect.objectContaining(withoutText(gpsd)));
          if (gpsd.type === 26) expect(sameType26Data((mine as Json).data, gpsd.data), `${where} data`).toBe(true);
        }
      });
    });
  }

  it('gives an inland payload at any length but its one slot (168 bits) as raw data, bit count and hex', () => {
    const bits = messages.get('6/200/55')!;
    const { payload, fill } = armoured([...bits, 1, 0, 1, 1]);
    const m = decodeAisPayload(payload, fill, { scaled: false });
    expect(m).toMatchObject({ type: 6, dac: 200, fid: 55, data: expect.stringMatching(/^84:[0-9a-f]{22}$/) });
    expect(m.crew).toBeUndefined();
    expect(String(m.data).slice(-2)).toBe('b0'); // the 4 added bits 1011, then zero padding
  });

  it('rejects binary messages over 1008 bits and DGNSS broadcasts over 816 bits as AIS_TOO_LONG, ', () => {
    for (const [type, max] of [
      [8, 1008],
      [6, 1008],
      [17, 816],
    ] as const) {
      const w = new BitWriter().u(type, 6).u(0, 2).u(123456789, 30);
      while (w.length < max + 1) w.u(1, 1);
      const { payload, fill } = w.armour();
      const err = (() => {
        try {
          decodeAisPayload(payload, fill);
        } catch (e) {
          return e;
        }
      })();
      expect(err, `type ${type}`).toBeInstanceOf(AisError);
      expect((err as AisError).code).toBe('AIS_TOO_LONG');
      expect((err as AisError).details).toMatchObject({ type, bits: max + 1, max });
    }
  });

  it('keeps the Tx/Rx mode of a group assignment, which gpsd 3.22 does not print', () => {
    const w = new BitWriter().u(23, 6).u(0, 2).u(2268120, 30).u(0, 2);
    w.s(1578, 18).s(30642, 17).s(1096, 18).s(30408, 17).u(6, 4).u(0, 8).u(0, 22).u(2, 2).u(9, 4).u(0, 4).u(0, 6);
    const { payload, fill } = w.armour();
    expect(decodeAisPayload(payload, fill)).toMatchObject({ type: 23, ne_lon: 2.63, ne_lat: 51.07, sw_lat: 50.68, stationtype: 6, txrx: 2, interval: 9, quiet: 0 });
  });
});

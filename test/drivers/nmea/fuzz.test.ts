import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { createNmeaLineFramer } from '../../../drivers/framing/line-framer.ts';
import { decodeNmeaSentence } from '../../../drivers/nmea/codec.ts';
import { GnssFixAccumulator } from '../../../drivers/nmea/fix-accumulator.ts';
import { createNmeaStreamDecoder } from '../../../drivers/nmea/stream-decoder.ts';
import { logSentences, NMEA_LOGS } from './corpus.ts';
import { seededRandom as prng } from '../../support/prng.ts';

/** mulberry32: a small seeded PRNG, so every run feeds the same inputs and a failure replays. */

const SEEDS = logSentences(NMEA_LOGS[0]).concat(...NMEA_LOGS.slice(1).map((n) => logSentences(n))).map((l) => new TextEncoder().encode(`${l}\r\n`));
const ALPHABET = new TextEncoder().encode('$!*,.0123456789ABCDEFGNPSWVMT\r\n-');

function mutate(rand: () => number): Uint8Array {
  const pick = () => SEEDS[Math.floor(rand() * SEEDS.length)]!;
  const kind = Math.floor(rand() * 6);
  switch (kind) {
    case 0: {
      // bit flips
      const b = pick().slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 1: {
      // truncation
      const b = pick();
      return b.slice(0, Math.floor(rand() * b.length));
    }
    case 2: {
      // splice: the head of one valid sentence onto the tail of another
      const a = pick();
      const c = pick();
      const head = a.subarray(0, Math.floor(rand() * a.length));
      const tail = c.subarray(Math.floor(rand() * c.length));
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    }
    case 3: {
      // random bytes
      const out = new Uint8Array(Math.floor(rand() * 120));
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256);
      return out;
    }
    case 4: {
      // random NMEA-alphabet text (hits the field parsers rather than the envelope)
      const out = new Uint8Array(Math.floor(rand() * 100));
      for (let i = 0; i < out.length; i++) out[i] = ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
      if (out.length > 0) out[0] = 0x24;
      return out;
    }
    default: {
      // a run without any delimiter, longer than the framer's maximum
      const out = new Uint8Array(200 + Math.floor(rand() * 600));
      for (let i = 0; i < out.length; i++) out[i] = 0x41 + Math.floor(rand() * 26);
      return out;
    }
  }
}

describe('NMEA fuzzing (framer + codec + accumulator)', () => {
  it('100,000 random and mutated inputs: no exception, bounded work, bounded buffer', () => {
    const rand = prng(0x9e3779b9);
    const framer = createNmeaLineFramer(256);
    const acc = new GnssFixAccumulator({ clock: new ManualClock(Date.parse('2026-01-01T00:00:00Z')) });
    let bytesIn = 0;
    let events = 0;
    let maxBuffered = 0;
    let maxFrame = 0;
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const input = mutate(rand);
      bytesIn += input.length;
      // Split each input at a random point, as a serial read would.
      const cut = Math.floor(rand() * (input.length + 1));
      for (const part of [input.subarray(0, cut), input.subarray(cut)]) {
        for (const ev of framer.push(part)) {
          events++;
          if (ev.kind !== 'frame') continue;
          maxFrame = Math.max(maxFrame, ev.bytes.length);
          const r = decodeNmeaSentence(ev.bytes);
          const key = r.ok ? 'ok' : r.error.code;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (r.ok) acc.push(r.sentence);
        }
        maxBuffered = Math.max(maxBuffered, framer.bufferedBytes);
      }
    }
    acc.flush();
    expect(maxBuffered).toBeLessThanOrEqual(256);
    expect(maxFrame).toBeLessThanOrEqual(256);
    // Bounded work: each byte yields at most one event.
    expect(events).toBeLessThanOrEqual(bytesIn);
    // The mutations reach every layer: valid sentences, checksum failures and field errors all occur.
    expect(outcomes.get('ok')).toBeGreaterThan(1000);
    expect(outcomes.get('NMEA_BAD_CHECKSUM')).toBeGreaterThan(1000);
    expect(outcomes.get('NMEA_MALFORMED')).toBeGreaterThan(100);
    expect(framer.discardedBytes).toBeGreaterThan(0);
  });

  it('field decoders survive fuzzed fields behind a correct checksum (20,000 inputs)', () => {
    const rand = prng(42);
    const bodies = SEEDS.map((b) => new TextDecoder().decode(b).trim().slice(1, -3));
    const fieldChars = '0123456789.-+NSEWAVMDT';
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      // A real sentence with one to three fields replaced by junk, dropped or duplicated, re-checksummed.
      const fields = bodies[Math.floor(rand() * bodies.length)]!.split(',');
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) {
        const at = 1 + Math.floor(rand() * Math.max(1, fields.length - 1));
        const op = rand();
        if (op < 0.15) fields.splice(at, 1);
        else if (op < 0.25) fields.splice(at, 0, fields[at] ?? '');
        else {
          let junk = '';
          const len = Math.floor(rand() * 12);
          for (let k = 0; k < len; k++) junk += fieldChars[Math.floor(rand() * fieldChars.length)];
          fields[at] = junk;
        }
      }
      const body = fields.join(',');
      let c = 0;
      for (let k = 0; k < body.length; k++) c ^= body.charCodeAt(k);
      const r = decodeNmeaSentence(`$${body}*${c.toString(16).toUpperCase().padStart(2, '0')}`);
      const key = r.ok ? 'ok' : r.error.code;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (r.ok) JSON.stringify(r.sentence);
    }
    expect(outcomes.get('NMEA_BAD_CHECKSUM')).toBeUndefined();
    expect(outcomes.get('ok')).toBeGreaterThan(1000);
    expect(outcomes.get('NMEA_BAD_FIELD')).toBeGreaterThan(1000);
  });

  it('nmea-fuzzy-cases.log byte by byte through the stream decoder: decodes all, throws nothing', () => {
    const d = createNmeaStreamDecoder();
    const bytes = new TextEncoder().encode(logSentences('nmea-fuzzy-cases.log').join('\r\n') + '\r\n');
    const events = [];
    for (const b of bytes) events.push(...d.push(Uint8Array.of(b)));
    events.push(...d.flush());
    expect(events.length).toBe(28);
    expect(events.every((e) => e.ok)).toBe(true);
    for (const e of events) expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  it('the stream decoder reports rejected frames with code, reason and raw text', () => {
    const d = createNmeaStreamDecoder();
    const evs = [...d.push(new TextEncoder().encode('noise\r\n$GPZDA,112257.00,22,03,2012,,*67\r\n$GPZDA,112257.00,22,03,2012,,*66\r\n$GPGGA,1')), ...d.flush()];
    expect(evs).toEqual([
      { ok: false, code: 'NMEA_FRAMING', reason: 'no-start', raw: 'noise' },
      { ok: false, code: 'NMEA_BAD_CHECKSUM', reason: 'checksum mismatch', raw: '$GPZDA,112257.00,22,03,2012,,*67' },
      { ok: true, message: { sentence: 'ZDA', talker: 'GP', timeOfDayMs: 40977000, date: { year: 2012, month: 3, day: 22 } } },
      { ok: false, code: 'NMEA_FRAMING', reason: 'incomplete', raw: '$GPGGA,1' },
    ]);
  });
});

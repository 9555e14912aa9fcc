import { describe, expect, it } from 'vitest';
import type { DecodeEvent } from '../../../core/stream-decoder.ts';
import { encodeEm4100Frame } from '../../../drivers/rfid/em4100.ts';
import { createEm4100StreamDecoder, createUhfR200StreamDecoder } from '../../../drivers/rfid/stream-decoder.ts';
import { encodeUhfFrame, encodeUhfTagNotice } from '../../../drivers/rfid/uhf-r200.ts';
import { FUZZ_CASES, Mutator, mulberry32 } from '../ais/fuzz-kit.ts';

function storm(make: () => { push(c: Uint8Array): DecodeEvent[]; flush(): DecodeEvent[] }, seeds: Uint8Array[], seed: number, valid: (m: Mutator) => Uint8Array): { ok: number; bytesOut: number; fed: number; uncoded: number; tail: DecodeEvent[] } {
  const m = new Mutator(mulberry32(seed));
  const d = make();
  let ok = 0;
  let bytesOut = 0;
  let fed = 0;
  let uncoded = 0;
  const count = (evs: DecodeEvent[]): void => {
    for (const e of evs) {
      bytesOut += e.ok ? String(e.message.raw).length / 2 : e.raw.length / 2;
      if (e.ok) ok++;
      // RFID_INTERNAL is a decoder that threw something else: a bug, not a coded rejection.
      else if (!/^RFID_[A-Z_]+$/.test(e.code) || e.code === 'RFID_INTERNAL') uncoded++;
    }
  };
  for (let i = 0; i < FUZZ_CASES; i++) {
    const input = i % 4 === 0 ? valid(m) : m.mutate(seeds);
    fed += input.length;
    count(d.push(input));
  }
  const tail = d.flush();
  count(tail);
  return { ok, bytesOut, fed, uncoded, tail };
}

describe('RFID framer fuzzing', () => {
  it(`EM4100: ${FUZZ_CASES} mutated and random inputs, every byte accounted for`, () => {
    const seeds = [encodeEm4100Frame('0415AB3C9E', 'rdm6300'), encodeEm4100Frame('A0B0C0D0E0', 'id12'), encodeEm4100Frame('1111111111', 'rdm6300', { badChecksum: true })];
    const hex = '0123456789ABCDEF';
    const r = storm(createEm4100StreamDecoder, seeds, 0xe4100, (m) => {
      let tag = '';
      for (let i = 0; i < 10; i++) tag += m.pick([...hex]);
      return encodeEm4100Frame(tag, m.pick(['rdm6300', 'id12'] as const));
    });
    expect(r.uncoded).toBe(0);
    expect(r.ok).toBeGreaterThan(20_000);
    // No byte vanishes: every input byte comes out in a frame, a rejected frame or a discarded run.
    expect(r.bytesOut).toBe(r.fed);
    expect(r.tail.reduce((n, e) => n + (e.ok ? 0 : e.raw.length / 2), 0)).toBeLessThanOrEqual(16);
  });

  it(`UHF R200: ${FUZZ_CASES} mutated and random inputs, every byte accounted for`, () => {
    const seeds = [encodeUhfTagNotice('E2801160600002054C4A0A5C', -55), encodeUhfFrame(0x01, 0xff, [0x15]), encodeUhfTagNotice('3008', -70)];
    const r = storm(createUhfR200StreamDecoder, seeds, 0x0200, (m) => encodeUhfTagNotice(Buffer.from(m.randomBytes(16)).toString('hex').slice(0, 2 * 2 * m.int(9)), -m.int(100)));
    expect(r.uncoded).toBe(0);
    expect(r.ok).toBeGreaterThan(10_000);
    expect(r.bytesOut).toBe(r.fed);
  });
});

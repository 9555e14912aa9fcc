import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { DecodeEvent } from '../../../core/stream-decoder.ts';
import { createAisStreamDecoder } from '../../../drivers/ais/stream-decoder.ts';
import { sentence } from './ais-encoder.ts';
import { gpsdCorpus } from './corpus.ts';
import { FUZZ_CASES, Mutator, mulberry32 } from './fuzz-kit.ts';

const ARMOUR = '0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw';

describe('AIS decoder fuzzing', () => {
  it(`survives ${FUZZ_CASES} mutated and random inputs without throwing, wedging or growing`, () => {
    const seeds = readFileSync(path.join(gpsdCorpus, 'sample.aivdm'), 'latin1')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => Uint8Array.from(Buffer.from(l.trim(), 'latin1')));
    const m = new Mutator(mulberry32(0xa15));
    const clock = new ManualClock(0);
    const d = createAisStreamDecoder({ clock });
    const heapBefore = process.memoryUsage().heapUsed;
    let ok = 0;
    let rejected = 0;
    let uncoded = 0;
    const count = (evs: DecodeEvent[]): void => {
      for (const e of evs) {
        if (e.ok) ok++;
        else {
          rejected++;
          // AIS_INTERNAL is a payload decoder that threw something else: a bug, not a coded rejection.
          if (!/^AIS_[A-Z0-9_]+$/.test(e.code) || e.code === 'AIS_INTERNAL') uncoded++;
        }
      }
    };
    for (let i = 0; i < FUZZ_CASES; i++) {
      let input: Uint8Array;
      if (i % 3 === 0) {
        // Checksum-valid sentences with random payloads and fragment fields reach the bit decoders.
        const len = 1 + m.int(80);
        let payload = '';
        for (let k = 0; k < len; k++) payload += m.pick([...ARMOUR]);
        const count2 = 1 + m.int(3);
        input = Buffer.from(sentence(payload, m.int(7), { count: count2, num: 1 + m.int(count2), seq: m.rnd() < 0.5 ? '' : String(m.int(10)), channel: m.pick(['A', 'B', '']) }), 'latin1');
      } else {
        input = m.mutate(seeds);
      }
      count(d.push(input));
      if (m.rnd() < 0.8) count(d.push(Buffer.from('\r\n')));
      clock.advance(m.int(50));
    }
    count(d.flush());
    expect(uncoded).toBe(0);
    expect(ok).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(10_000);
    // Not wedged: a valid sentence right after the storm decodes.
    const after = [...d.push(Buffer.from('\n!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\r\n')), ...d.flush()];
    expect(after.filter((e) => e.ok).map((e) => (e.ok ? e.message.mmsi : 0))).toEqual([371798000]);
    // Retained state is bounded (line buffer, pending fragments, held type 24 parts): far below the input volume.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

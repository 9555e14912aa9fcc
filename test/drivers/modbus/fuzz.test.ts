import { describe, expect, it } from 'vitest';
import { codeOf } from '../../../core/coded-error.ts';
import type { DecodeEvent } from '../../../core/stream-decoder.ts';
import { withCrc } from '../../../drivers/modbus/crc16.ts';
import { decodeResponse, encodeRequest } from '../../../drivers/modbus/frames.ts';
import { createModbusStreamDecoder, MAX_RTU_FRAME } from '../../../drivers/modbus/sniffer.ts';
import { FUZZ_CASES, Mutator, mulberry32 } from '../ais/fuzz-kit.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

describe('Modbus frame decoder fuzzing', () => {
  it(`survives ${FUZZ_CASES} mutated and random byte streams; the response parser never throws anything but coded errors`, () => {
    const seeds = [
      encodeRequest({ slave: 1, fn: 3, address: 0x6b, count: 3 }),
      encodeRequest({ slave: 17, fn: 4, address: 8, count: 1 }),
      encodeRequest({ slave: 2, fn: 6, address: 1, count: 1, values: [3] }),
      encodeRequest({ slave: 9, fn: 16, address: 1, count: 2, values: [0x0a, 0x102] }),
      withCrc(hex('010306022b00000064')),
      withCrc(hex('018302')),
      withCrc(hex('0110000100020000')),
    ];
    const m = new Mutator(mulberry32(0x0db5));
    const d = createModbusStreamDecoder();
    let ok = 0;
    let bytesOut = 0;
    let uncoded = 0;
    const count = (evs: DecodeEvent[]): void => {
      for (const e of evs) {
        bytesOut += (e.ok ? String(e.message.raw) : e.raw).length / 2;
        if (e.ok) ok++;
        else if (e.code !== 'MODBUS_DISCARDED') uncoded++;
      }
    };
    let fed = 0;
    const req = { slave: 1, fn: 3, address: 0, count: 3 } as const;
    for (let i = 0; i < FUZZ_CASES; i++) {
      // A third of the inputs carry a valid CRC over random content, so they reach frame interpretation.
      const input = i % 3 === 0 ? withCrc(m.randomBytes(20)) : m.mutate(seeds);
      fed += input.length;
      count(d.push(input));
      try {
        decodeResponse(req, input);
      } catch (e) {
        if (!/^MODBUS_[A-Z0-9_]+$/.test(codeOf(e, ''))) uncoded++;
      }
    }
    const tail = d.flush();
    count(tail);
    expect(uncoded).toBe(0);
    expect(ok).toBeGreaterThan(3_000);
    // Every byte fed is accounted for: in a frame or in a discarded run.
    expect(bytesOut).toBe(fed);
    expect(tail.reduce((n, e) => n + (e.ok ? 0 : e.raw.length / 2), 0)).toBeLessThanOrEqual(MAX_RTU_FRAME);
    // Not wedged: a clean request decodes after the storm.
    const after = [...d.push(encodeRequest({ slave: 5, fn: 3, address: 7, count: 2 })), ...d.flush()];
    expect(after.filter((e) => e.ok).map((e) => (e.ok ? e.message.slave : 0))).toEqual([5]);
  });
});

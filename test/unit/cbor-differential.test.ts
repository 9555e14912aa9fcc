/**
 * The deterministic encoder against an independent one: cborg with its RFC 8949 §4.2.1
 * options (shortest arguments, bytewise-sorted map keys, shortest exact floats). Every byte
 * this agent signs or hashes comes from encodeDeterministic (DESIGN.md, wire contract v1), so
 * any divergence here is a divergence other parties would see in signatures.
 */
import { describe, expect, it } from 'vitest';
import { decode as cborgDecode, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { decodeCbor, decodeCborSequence } from '../../agent/encoding/cbor-decode.ts';
import { CborFloat, type CborMapKey, type CborValue } from '../../agent/encoding/cbor-value.ts';
import { CodedError } from '../../core/coded-error.ts';
import { Prng } from '../support/prng.ts';
import { hex, unhex, toCborg, EDGES, genValue } from '../support/cbor-values.ts';


describe('deterministic CBOR vs cborg rfc8949EncodeOptions', () => {
  it('produces the same bytes on 5,000 generated values', () => {
    const r = new Prng(0x5eed_cb0e);
    let compared = 0;
    for (let i = 0; i < 5000; i++) {
      const v = genValue(r, 0);
      const ours = hex(encodeDeterministic(v));
      const theirs = hex(cborgEncode(toCborg(v), rfc8949EncodeOptions));
      if (ours !== theirs) {
        let at = 0;
        while (ours[at] === theirs[at]) at++;
        expect.fail(`value #${i} differs at hex offset ${at}: ours …${ours.slice(at - 20, at + 40)}, cborg …${theirs.slice(at - 20, at + 40)}`);
      }
      compared++;
    }
    expect(compared).toBe(5000);
  });

  it('agrees on every integer argument boundary, both signs, as number and bigint', () => {
    for (const e of EDGES) {
      for (const d of [-1n, 0n, 1n]) {
        for (const v of [e + d, -1n - (e + d)]) {
          if (v > 2n ** 64n - 1n || v < -(2n ** 64n)) continue;
          expect(hex(encodeDeterministic(v))).toBe(hex(cborgEncode(v, rfc8949EncodeOptions)));
          const asNumber = Number(v);
          if (Number.isSafeInteger(asNumber)) expect(hex(encodeDeterministic(asNumber))).toBe(hex(cborgEncode(asNumber, rfc8949EncodeOptions)));
        }
      }
    }
  });

  it('keeps objects whose key lists join alike apart (the encoder caches key order per key list)', () => {
    // Each pair would share one cache id if the id were the joined key list alone.
    const objects: { [k: string]: number }[] = [{}, { '': 1 }, { 'a\u0000': 1, b: 2 }, { a: 1, '\u0000b': 2 }, { b: 1, a: 2 }, { a: 1, b: 2 }, { a: 3, b: 4 }];
    for (let round = 0; round < 2; round++) {
      for (const o of objects) expect(hex(encodeDeterministic(o))).toBe(hex(cborgEncode(o, rfc8949EncodeOptions)));
    }
  });

  it('sorts map keys by their encoded bytes, not by length first (RFC 8949 §4.2.1)', () => {
    // 100 encodes as 18 64 and sorts before -1 (20); "a" (61 61) after both; h'' (40) between.
    const m = new Map<CborMapKey, CborValue>([
      ['a', 1],
      [-1, 2],
      [100, 3],
      [new Uint8Array(0), 4],
    ]);
    expect(hex(encodeDeterministic(m))).toBe('a4' + '186403' + '2002' + '4004' + '616101');
    expect(hex(encodeDeterministic(m))).toBe(hex(cborgEncode(m, rfc8949EncodeOptions)));
  });

  it('writes floats in their shortest exact form and NaN as f97e00', () => {
    expect(hex(encodeDeterministic(1.5))).toBe('f93e00');
    expect(hex(encodeDeterministic(65504))).toBe('19ffe0'); // integral: an integer, not a float
    expect(hex(encodeDeterministic(new CborFloat(65504)))).toBe('f97bff');
    expect(hex(encodeDeterministic(new CborFloat(1)))).toBe('f93c00');
    expect(hex(encodeDeterministic(100000.5))).toBe('fa47c35040');
    expect(hex(encodeDeterministic(0.1))).toBe('fb3fb999999999999a');
    expect(hex(encodeDeterministic(2 ** -24))).toBe('f90001'); // smallest binary16 subnormal
    expect(hex(encodeDeterministic(2 ** -25))).toBe('fa33000000');
    expect(hex(encodeDeterministic(NaN))).toBe('f97e00');
    expect(hex(encodeDeterministic(-Infinity))).toBe('f9fc00');
  });

  it('writes every binary16 subnormal as a half float, shorter than cborg does', () => {
    // m * 2^-24 for 0 < m < 1024 is exact in binary16 (IEEE 754 §3.4), so RFC 8949 §4.2.2's
    // shortest exact form is f9 followed by m. cborg falls back to binary32 for most of them,
    // which is why subnormals are kept out of the differential; cborg's decoder still agrees
    // that our bytes hold the same value.
    for (let m = 1; m < 1024; m++) {
      const v = m * 2 ** -24;
      const ours = encodeDeterministic(v);
      expect(hex(ours)).toBe('f9' + m.toString(16).padStart(4, '0'));
      expect(cborgDecode(ours)).toBe(v);
      expect(decodeCbor(ours)).toBe(v);
    }
  });

  it('encodes -0 as the half float f98000, where cborg writes the integer 0', () => {
    // -0 is a distinct IEEE 754 value; the integer 0 would lose its sign. RFC 8949 §4.2.2
    // prefers the shortest float that preserves the value, so f98000 is ours by design and
    // excluded from the differential.
    expect(hex(encodeDeterministic(-0))).toBe('f98000');
    expect(hex(cborgEncode(-0, rfc8949EncodeOptions))).toBe('00');
    expect(Object.is(decodeCbor(unhex('f98000')), -0)).toBe(true);
  });

  it('encodes integral numbers beyond 2^53 as exact integers, 2^64 and above as floats', () => {
    // cborg writes a JS number beyond 2^53 as a float; we write the exact integer it holds,
    // the same bytes as the bigint. Up to 2^64-1 that fits major type 0.
    expect(hex(encodeDeterministic(2 ** 60))).toBe(hex(cborgEncode(2n ** 60n, rfc8949EncodeOptions)));
    expect(hex(encodeDeterministic(-(2 ** 64)))).toBe('3bffffffffffffffff');
    expect(hex(encodeDeterministic(2 ** 64))).toBe('fa5f800000');
    expect(hex(encodeDeterministic(1e20))).toBe(hex(cborgEncode(1e20, rfc8949EncodeOptions)));
  });

  it('leaves out map entries whose value is undefined', () => {
    expect(hex(encodeDeterministic(new Map<CborMapKey, CborValue>([[1, undefined], [2, 3]])))).toBe('a10203');
  });

  it('refuses integers outside the range of major types 0 and 1 with CBOR_RANGE', () => {
    expect(() => encodeDeterministic(2n ** 64n)).toThrow(expect.objectContaining({ code: 'CBOR_RANGE' }));
    expect(() => encodeDeterministic(-(2n ** 64n) - 1n)).toThrow(expect.objectContaining({ code: 'CBOR_RANGE' }));
  });
});

describe('strict decoder', () => {
  it('round-trips 2,000 generated values to the same bytes', () => {
    const r = new Prng(0xdec0de);
    const differing: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const bytes = encodeDeterministic(genValue(r, 0));
      const back = decodeCbor(bytes, { wrapFloats: true });
      if (hex(encodeDeterministic(back)) !== hex(bytes)) differing.push(hex(bytes));
    }
    expect(differing).toEqual([]);
  });

  it('decodes integers beyond 2^53 as bigint and within as number', () => {
    expect(decodeCbor(unhex('1b0020000000000000'))).toBe(2n ** 53n);
    expect(decodeCbor(unhex('1b001fffffffffffff'))).toBe(2 ** 53 - 1);
    expect(decodeCbor(unhex('3bffffffffffffffff'))).toBe(-(2n ** 64n));
    expect(decodeCbor(unhex('3b001ffffffffffffe'))).toBe(-(2 ** 53 - 1));
  });

  const reject: [string, string, string][] = [
    ['1817', 'CBOR_NOT_DETERMINISTIC', '23 in a one-byte argument'],
    ['190017', 'CBOR_NOT_DETERMINISTIC', '23 in a two-byte argument'],
    ['1900ff', 'CBOR_NOT_DETERMINISTIC', '255 in a two-byte argument'],
    ['1a0000ffff', 'CBOR_NOT_DETERMINISTIC', '65535 in a four-byte argument'],
    ['1b00000000ffffffff', 'CBOR_NOT_DETERMINISTIC', '2^32-1 in an eight-byte argument'],
    ['380a', 'CBOR_NOT_DETERMINISTIC', 'negative -11 in a one-byte argument'],
    ['5801ff', 'CBOR_NOT_DETERMINISTIC', 'byte string length not shortest'],
    ['d81200', 'CBOR_NOT_DETERMINISTIC', 'tag 18 in a one-byte argument'],
    ['fa3fc00000', 'CBOR_NOT_DETERMINISTIC', '1.5 as binary32'],
    ['fb3ff8000000000000', 'CBOR_NOT_DETERMINISTIC', '1.5 as binary64'],
    ['f97e01', 'CBOR_NOT_DETERMINISTIC', 'NaN with a payload'],
    ['a202000100', 'CBOR_NOT_DETERMINISTIC', 'map keys 2, 1 unsorted'],
    ['a220001864 00', 'CBOR_NOT_DETERMINISTIC', 'key -1 before 100 (length-first order)'],
    ['a201000100', 'CBOR_NOT_DETERMINISTIC', 'duplicate key'],
    ['9f01ff', 'CBOR_INDEFINITE', 'indefinite array'],
    ['5f4101ff', 'CBOR_INDEFINITE', 'indefinite byte string'],
    ['7fff', 'CBOR_INDEFINITE', 'indefinite text string'],
    ['bfff', 'CBOR_INDEFINITE', 'indefinite map'],
    ['1c', 'CBOR_INDEFINITE', 'reserved additional info 28'],
    ['0100', 'CBOR_TRAILING', 'trailing byte'],
    ['a10102ff', 'CBOR_TRAILING', 'break after a complete map'],
    ['', 'CBOR_TRUNCATED', 'empty input'],
    ['1a0000', 'CBOR_TRUNCATED', 'argument cut short'],
    ['6261', 'CBOR_TRUNCATED', 'text cut short'],
    ['8201', 'CBOR_TRUNCATED', 'array cut short'],
    ['a101', 'CBOR_TRUNCATED', 'map value missing'],
    ['5b0000000100000000', 'CBOR_TRUNCATED', 'length beyond the input'],
    ['62c328', 'CBOR_BAD_UTF8', 'invalid UTF-8'],
    ['a1800000', 'CBOR_BAD_KEY', 'array as map key'],
    ['ff', 'CBOR_UNSUPPORTED', 'lone break'],
    ['f0', 'CBOR_UNSUPPORTED', 'unassigned simple value'],
  ];
  it.each(reject)('rejects %s with %s (%s)', (h, code) => {
    let err: unknown;
    try {
      decodeCbor(unhex(h));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).code).toBe(code);
  });

  it('rejects nesting deeper than its limit with CBOR_TOO_DEEP', () => {
    expect(() => decodeCbor(new Uint8Array([...new Array(40).fill(0x81), 0x00]))).toThrow(expect.objectContaining({ code: 'CBOR_TOO_DEEP' }));
  });

  it('accepts non-deterministic items when asked, and reads a CBOR sequence item by item (RFC 8742)', () => {
    expect(decodeCbor(unhex('1817'), { requireDeterministic: false })).toBe(23);
    const seq = [...decodeCborSequence(unhex('01 1817 a201020304 6161'))];
    expect(seq.map((s) => s.offset)).toEqual([0, 1, 3, 8]);
    expect(seq[1]!.value).toBe(23);
    expect(hex(seq[2]!.bytes)).toBe('a201020304');
    expect(seq[3]!.value).toBe('a');
    expect(() => [...decodeCborSequence(unhex('01 8201'))]).toThrow(expect.objectContaining({ code: 'CBOR_TRUNCATED' }));
  });

  it('on 20,000 random and mutated inputs throws nothing but coded errors, and accepts only canonical bytes', () => {
    const r = new Prng(0xf022);
    const seeds = Array.from({ length: 200 }, () => encodeDeterministic(genValue(r, 0)));
    let accepted = 0;
    let rejected = 0;
    const nonCanonical: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let input: Uint8Array;
      const mode = r.int(4);
      if (mode === 0) input = r.bytes(r.int(40));
      else {
        const base = r.pick(seeds);
        const b = Array.from(base);
        const edits = 1 + r.int(3);
        for (let k = 0; k < edits; k++) {
          const at = r.int(b.length + 1);
          if (mode === 1 && b.length) b[at % b.length] = r.int(256);
          else if (mode === 2) b.splice(at, 0, r.int(256));
          else b.splice(at, 1 + r.int(3));
        }
        input = Uint8Array.from(b);
      }
      try {
        const v = decodeCbor(input, { wrapFloats: true });
        // The deterministic decoder must only accept bytes it would itself produce.
        if (hex(encodeDeterministic(v)) !== hex(input)) nonCanonical.push(hex(input));
        accepted++;
      } catch (e) {
        if (!(e instanceof CodedError) || !e.code.startsWith('CBOR_')) expect.fail(`input ${hex(input)} threw ${String(e)}`);
        rejected++;
      }
    }
    expect(nonCanonical).toEqual([]);
    expect(accepted + rejected).toBe(20_000);
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(10_000);
  });
});

describe('decoder budget (untrusted input)', () => {
  const codeOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as CodedError).code;
    }
    return 'decoded';
  };

  it('refuses nesting past 32 levels and an item holding more data items than its budget, with codes', () => {
    const deep = new Uint8Array(40).fill(0x81);
    deep[39] = 0x00;
    expect(codeOf(() => decodeCbor(deep))).toBe('CBOR_TOO_DEEP');
    // An array of 100 zeros is 101 items.
    const wide = Uint8Array.of(0x98, 100, ...new Array(100).fill(0));
    expect(codeOf(() => decodeCbor(wide, { maxItems: 100 }))).toBe('CBOR_TOO_MANY_ITEMS');
    expect(codeOf(() => decodeCbor(wide, { maxItems: 101 }))).toBe('decoded');
    // In a sequence the budget is per top-level item.
    const seq = new Uint8Array([...wide, ...wide]);
    expect([...decodeCborSequence(seq, { maxItems: 101 })]).toHaveLength(2);
  });
});

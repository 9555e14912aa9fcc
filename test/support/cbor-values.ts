/**
 * Generated CBOR values for the differential tests of the deterministic encoder and the strict
 * decoder (test/unit/cbor-differential.test.ts): integers at every argument boundary, floats of
 * every width, text, map keys and nested values, from a seeded Prng so a failure repeats.
 */
import { Tagged } from 'cborg';
import { CborFloat, CborTag, type CborMapKey, type CborValue } from '../../agent/encoding/cbor-value.ts';
import type { Prng } from './prng.ts';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** Our value model mapped onto cborg's: CborTag -> Tagged, CborFloat -> its number. */
export function toCborg(v: CborValue): unknown {
  if (v instanceof CborTag) return new Tagged(v.tag, toCborg(v.value));
  if (v instanceof CborFloat) return v.value;
  if (Array.isArray(v)) return v.map(toCborg);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toCborg(x)]));
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCborg(x)]));
}

// Integer boundaries of RFC 8949 §3.1 argument sizes, and of JS's exact integer range.
export const EDGES = [0n, 23n, 24n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

/**
 * Integers as this project writes them: a number while safe, a bigint beyond. (An integral
 * JS number beyond 2^53 is encoded as an integer by us and as a float by cborg; both are
 * valid RFC 8949 encodings of different data items, so it is tested on its own below.)
 */
export function genInt(r: Prng): number | bigint {
  let v: bigint;
  switch (r.int(4)) {
    case 0:
      v = r.pick(EDGES) + BigInt(r.int(5) - 2);
      break;
    case 1:
      v = BigInt(r.int(2 ** 32)) + 2n ** 32n - 2n ** 31n; // around 2^32
      break;
    case 2:
      v = 2n ** 53n + BigInt(r.int(2 ** 20)) - 2n ** 19n; // around 2^53
      break;
    default:
      v = r.u64() >> BigInt(r.int(64));
  }
  if (v < 0n) v = -v;
  if (v > 2n ** 64n - 1n) v = 2n ** 64n - 1n;
  if (r.int(2) === 0) v = -1n - v; // major type 1 reaches -2^64
  return v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n ? Number(v) : v;
}

export function genFloat(r: Prng): number {
  const dv = new DataView(new ArrayBuffer(8));
  switch (r.int(7)) {
    case 0: {
      // exactly representable in binary16, including subnormals (IEEE 754 §3.6)
      const h = r.int(0x7c00) | (r.int(2) << 15);
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const s = h & 0x8000 ? -1 : 1;
      return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    }
    case 1:
      dv.setUint32(0, r.int(2 ** 32));
      return dv.getFloat32(0); // binary32, may be NaN or infinite
    case 2:
      dv.setUint32(0, r.int(2 ** 32));
      dv.setUint32(4, r.int(2 ** 32));
      return dv.getFloat64(0);
    case 3:
      return r.pick([NaN, Infinity, -Infinity, 65504, 65505, 2 ** -24, 2 ** -25, 2 ** -14, 3.4028234663852886e38, 1e300, 5e-324, 1.5, 0.1]);
    case 4:
      return (r.next() - 0.5) * 10 ** (r.int(20) - 10);
    case 5:
      return Math.fround((r.next() - 0.5) * 1e6);
    default:
      return (r.int(2 ** 16) - 2 ** 15) / 2 ** r.int(12);
  }
}

/** Nonzero values below 2^-14 that binary16 holds exactly (IEEE 754 §3.4 subnormals). */
export function isHalfSubnormal(f: number): boolean {
  return f !== 0 && Math.abs(f) < 2 ** -14 && Number.isInteger(Math.abs(f) * 2 ** 24);
}

export function genText(r: Prng): string {
  const alphabet = ['a', 'Z', '0', ' ', 'é', 'ß', 'Ω', 'ж', '中', '港', '\u{1F6A2}', '\u{1F50C}', '\u0000', '\n'];
  const n = r.pick([0, 1, 5, 22, 23, 24, 30, r.int(40), r.int(300)]);
  let s = '';
  while (s.length < n) s += r.next() < 0.6 ? String.fromCharCode(0x20 + r.int(95)) : r.pick(alphabet);
  return s;
}

export function genKey(r: Prng): CborMapKey {
  switch (r.int(3)) {
    case 0:
      return r.int(2) ? r.int(1000) - 500 : r.pick([-65537, -65545, 256, 264, 24, 23, -24, -25]);
    case 1:
      return genText(r).slice(0, 12);
    default:
      return r.bytes(r.int(4));
  }
}

export function genValue(r: Prng, depth: number): CborValue {
  const leaf = depth >= 3 || r.next() < 0.45;
  if (leaf) {
    switch (r.int(7)) {
      case 0:
      case 1:
        return genInt(r);
      case 2: {
        const f = genFloat(r);
        // -0, binary16 subnormals and unsafe integral numbers are tested on their own below.
        if (Object.is(f, -0) || isHalfSubnormal(f) || (Number.isInteger(f) && !Number.isSafeInteger(f) && Math.abs(f) < 2 ** 64)) return 0.5;
        return f;
      }
      case 3:
        return genText(r);
      case 4:
        return r.bytes(r.pick([0, 1, 23, 24, 32, 255, 256, r.int(100)]));
      case 5:
        return r.pick([true, false, null]);
      default:
        return r.int(2) ? genInt(r) : genText(r);
    }
  }
  switch (r.int(4)) {
    case 0: {
      const n = r.pick([0, 1, 3, 23, 24, r.int(8)]);
      return Array.from({ length: n }, () => genValue(r, depth + 1));
    }
    case 1: {
      const m = new Map<CborMapKey, CborValue>();
      const seen = new Set<string>();
      const n = r.int(10);
      for (let i = 0; i < n; i++) {
        const k = genKey(r);
        const id = k instanceof Uint8Array ? 'b' + hex(k) : typeof k + String(k);
        if (seen.has(id)) continue;
        seen.add(id);
        m.set(k, genValue(r, depth + 1));
      }
      return m;
    }
    case 2: {
      const o: { [k: string]: CborValue } = {};
      const n = r.int(6);
      for (let i = 0; i < n; i++) o[genText(r).slice(0, 8)] = genValue(r, depth + 1);
      return o;
    }
    default:
      return new CborTag(r.pick([0, 1, 18, 24, 55799, 65536]), genValue(r, depth + 1));
  }
}

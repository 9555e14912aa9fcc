/**
 * A strict CBOR decoder for the bytes this agent verifies (RFC 8949 §3). It accepts only
 * definite lengths, and (with `requireDeterministic`) rejects any item not in the
 * deterministic form of §4.2.1, so a verifier can re-encode what it decoded and get the
 * same bytes. Maps decode to Map (keys may be integers, text or bytes); integers beyond
 * 2^53 decode to bigint; byte strings to Uint8Array.
 */
import { CborFloat, CborTag, type CborMapKey, type CborValue } from './cbor-value.ts';
import { CborError, encodeDeterministic } from './deterministic-cbor.ts';

const td = new TextDecoder('utf-8', { fatal: true });
const MAX_DEPTH = 32;
const DEFAULT_MAX_ITEMS = 65_536;

export interface DecodeOptions {
  /** Reject non-deterministic encodings (RFC 8949 §4.2.1). Default true. */
  requireDeterministic?: boolean;
  /** Keep floats as CborFloat so re-encoding reproduces them. Default false. */
  wrapFloats?: boolean;
  /**
   * Most data items one top-level item may hold (every nested item counts). Memory is already
   * bounded by the input's length and the nesting depth; this bounds the work and the objects
   * one hostile item can make. Default 65,536 (a 16 KiB inbound object holds at most 16,384).
   */
  maxItems?: number;
}

class Reader {
  pos = 0;
  items = 0;
  constructor(readonly b: Uint8Array, readonly opts: Required<DecodeOptions>) {}

  need(n: number): void {
    if (this.pos + n > this.b.length) throw new CborError('CBOR_TRUNCATED', 'input ends inside an item', { offset: this.pos });
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  arg(ai: number): number | bigint {
    const start = this.pos;
    let v: number | bigint;
    if (ai < 24) return ai;
    if (ai === 24) v = this.u8();
    else if (ai === 25) v = (this.u8() << 8) | this.u8();
    else if (ai === 26) {
      this.need(4);
      v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0, false);
      this.pos += 4;
    }
    else if (ai === 27) {
      this.need(8);
      v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getBigUint64(0, false);
      this.pos += 8;
      if (v <= BigInt(Number.MAX_SAFE_INTEGER)) v = Number(v);
    } else throw new CborError('CBOR_INDEFINITE', 'indefinite lengths and reserved additional info are not accepted', { offset: start - 1 });
    if (this.opts.requireDeterministic) {
      const n = typeof v === 'bigint' ? v : BigInt(v);
      const min = ai === 24 ? 24n : ai === 25 ? 0x100n : ai === 26 ? 0x10000n : 0x100000000n;
      if (n < min) throw new CborError('CBOR_NOT_DETERMINISTIC', 'integer or length not in its shortest form', { offset: start - 1 });
    }
    return v;
  }
}

function len(v: number | bigint, r: Reader): number {
  if (typeof v === 'bigint' || v > r.b.length) throw new CborError('CBOR_TRUNCATED', 'length exceeds input', { offset: r.pos });
  return v;
}

function item(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw new CborError('CBOR_TOO_DEEP', `nesting deeper than ${MAX_DEPTH}`, { offset: r.pos });
  if (++r.items > r.opts.maxItems) throw new CborError('CBOR_TOO_MANY_ITEMS', `more than ${r.opts.maxItems} data items`, { offset: r.pos });
  const start = r.pos;
  const ib = r.u8();
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (major === 7) return simple(r, ai, start);
  const a = r.arg(ai);
  switch (major) {
    case 0:
      return a;
    case 1:
      return typeof a === 'bigint' ? -1n - a : a === Number.MAX_SAFE_INTEGER ? -1n - BigInt(a) : -1 - a;
    case 2:
      return r.take(len(a, r)).slice();
    case 3:
      try {
        return td.decode(r.take(len(a, r)));
      } catch (e) {
        if (e instanceof CborError) throw e;
        throw new CborError('CBOR_BAD_UTF8', 'text string is not valid UTF-8', { offset: start });
      }
    case 4: {
      const n = len(a, r);
      const out: CborValue[] = [];
      for (let i = 0; i < n; i++) out.push(item(r, depth + 1));
      return out;
    }
    case 5: {
      const n = len(a, r);
      const m = new Map<CborMapKey, CborValue>();
      let prevKey: Uint8Array | undefined;
      for (let i = 0; i < n; i++) {
        const ks = r.pos;
        const k = item(r, depth + 1);
        const kb = r.b.subarray(ks, r.pos);
        if (!(typeof k === 'number' || typeof k === 'bigint' || typeof k === 'string' || k instanceof Uint8Array)) {
          throw new CborError('CBOR_BAD_KEY', 'map keys must be integers, text or bytes', { offset: ks });
        }
        if (prevKey && r.opts.requireDeterministic && compare(prevKey, kb) >= 0) {
          throw new CborError('CBOR_NOT_DETERMINISTIC', 'map keys not in sorted order or duplicated', { offset: ks });
        }
        prevKey = kb;
        const key = k instanceof Uint8Array ? k : k;
        if (m.has(key) && !(key instanceof Uint8Array)) throw new CborError('CBOR_DUPLICATE_KEY', 'map has a duplicate key', { offset: ks });
        m.set(key, item(r, depth + 1));
      }
      return m;
    }
    case 6:
      if (typeof a === 'bigint') throw new CborError('CBOR_UNSUPPORTED', 'tag number too large', { offset: start });
      return new CborTag(a, item(r, depth + 1), r.b.slice(start, r.pos));
  }
  throw new CborError('CBOR_UNSUPPORTED', `major type ${major}`, { offset: start });
}

function simple(r: Reader, ai: number, start: number): CborValue {
  const float = (v: number, bytes: Uint8Array): CborValue => {
    if (r.opts.requireDeterministic && !sameBytes(encodeDeterministic(new CborFloat(v)), bytes)) {
      throw new CborError('CBOR_NOT_DETERMINISTIC', 'float not in its shortest exact form', { offset: start });
    }
    return r.opts.wrapFloats ? new CborFloat(v) : v;
  };
  switch (ai) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      return undefined;
    case 25: {
      const b = r.take(2);
      return float(halfToNumber((b[0]! << 8) | b[1]!), r.b.subarray(start, r.pos));
    }
    case 26: {
      const b = r.take(4);
      return float(new DataView(b.buffer, b.byteOffset, 4).getFloat32(0), r.b.subarray(start, r.pos));
    }
    case 27: {
      const b = r.take(8);
      return float(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0), r.b.subarray(start, r.pos));
    }
  }
  throw new CborError('CBOR_UNSUPPORTED', `simple value ${ai} is not accepted`, { offset: start });
}

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compare(a, b) === 0;
}

/** Decodes exactly one item; trailing bytes are an error. */
export function decodeCbor(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  const r = new Reader(bytes, { requireDeterministic: true, wrapFloats: false, maxItems: DEFAULT_MAX_ITEMS, ...options });
  const v = item(r, 0);
  if (r.pos !== bytes.length) throw new CborError('CBOR_TRAILING', 'bytes after the item', { offset: r.pos });
  return v;
}

/** Decodes a CBOR sequence (RFC 8742): items back to back. Returns each item with its bytes. */
export function* decodeCborSequence(bytes: Uint8Array, options: DecodeOptions = {}): Generator<{ value: CborValue; bytes: Uint8Array; offset: number }> {
  const r = new Reader(bytes, { requireDeterministic: false, wrapFloats: false, maxItems: DEFAULT_MAX_ITEMS, ...options });
  while (r.pos < bytes.length) {
    const start = r.pos;
    r.items = 0;
    const value = item(r, 0);
    yield { value, bytes: bytes.subarray(start, r.pos), offset: start };
  }
}

/**
 * Deterministic CBOR encoding, RFC 8949 §4.2.1 (core deterministic encoding requirements):
 * - integers, lengths and tags in their shortest form (§4.2.1, first bullet),
 * - definite lengths only,
 * - map keys sorted by the bytewise lexicographic order of their deterministic encodings,
 * - floats in the shortest of binary16/32/64 that represents the value exactly (§4.2.2 rule
 *   for preferred serialisation), NaN as 0xf97e00.
 * Every byte this agent signs or hashes goes through here (DESIGN.md, wire contract v1).
 */
import { CborFloat, CborRaw, CborTag, type CborMapKey, type CborValue } from './cbor-value.ts';
import { CodedError } from '../../core/coded-error.ts';
import type { EncodingErrorCode } from './errors.ts';

export class CborError extends CodedError<EncodingErrorCode> {}

const te = new TextEncoder();

/** A growable byte buffer that CBOR is written into (also used by fixed-layout fast paths). */
export class CborWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** A major type and its argument in shortest form (RFC 8949 §4.2.1). */
  head(major: number, arg: number | bigint): void {
    head(this, major, arg);
  }

  /** Any value, deterministically encoded. */
  value(v: CborValue): void {
    encodeInto(this, v);
  }

  get length(): number {
    return this.len;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The bytes written so far, without a copy: valid until the writer is written to again. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.len = 0;
  }
}

type ByteSink = CborWriter;

function head(out: ByteSink, major: number, arg: number | bigint): void {
  const mt = major << 5;
  if (typeof arg === 'bigint') {
    if (arg <= 0xffffffffn) return head(out, major, Number(arg));
    out.byte(mt | 27);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, arg);
    out.bytes(b);
    return;
  }
  if (arg < 24) out.byte(mt | arg);
  else if (arg < 0x100) {
    out.byte(mt | 24);
    out.byte(arg);
  } else if (arg < 0x10000) {
    out.byte(mt | 25);
    out.byte(arg >> 8);
    out.byte(arg & 0xff);
  } else if (arg < 0x100000000) {
    out.byte(mt | 26);
    out.byte(arg >>> 24);
    out.byte((arg >>> 16) & 0xff);
    out.byte((arg >>> 8) & 0xff);
    out.byte(arg & 0xff);
  } else head(out, major, BigInt(arg));
}

const U64_MAX = (1n << 64n) - 1n;

function encodeInteger(out: ByteSink, v: bigint): void {
  if (v >= 0n) {
    if (v > U64_MAX) throw new CborError('CBOR_RANGE', 'integer above 2^64-1 cannot be encoded without a bignum tag', { value: v.toString() });
    head(out, 0, v);
  } else {
    const n = -1n - v;
    if (n > U64_MAX) throw new CborError('CBOR_RANGE', 'integer below -2^64 cannot be encoded without a bignum tag', { value: v.toString() });
    head(out, 1, n);
  }
}

// Shortest exact float (RFC 8949 §4.2.2 preferred serialisation of floating-point values).
function encodeFloat(out: ByteSink, v: number): void {
  if (Number.isNaN(v)) {
    out.bytes(Uint8Array.of(0xf9, 0x7e, 0x00));
    return;
  }
  const h = toHalf(v);
  if (h !== undefined) {
    out.byte(0xf9);
    out.byte(h >> 8);
    out.byte(h & 0xff);
    return;
  }
  if (Math.fround(v) === v) {
    const b = new Uint8Array(5);
    b[0] = 0xfa;
    new DataView(b.buffer).setFloat32(1, v);
    out.bytes(b);
    return;
  }
  const b = new Uint8Array(9);
  b[0] = 0xfb;
  new DataView(b.buffer).setFloat64(1, v);
  out.bytes(b);
}

/** The binary16 bits of v when v is exactly representable in binary16, else undefined. */
export function toHalf(v: number): number | undefined {
  if (Math.fround(v) !== v) return undefined;
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  const bits = f.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : undefined; // infinities; NaN handled by caller
  if (exp === 0 && mant === 0) return sign; // ±0
  const e = exp - 127;
  if (e >= -14 && e <= 15) {
    if (mant & 0x1fff) return undefined;
    return sign | ((e + 15) << 10) | (mant >> 13);
  }
  if (e >= -24 && e < -14) {
    // subnormal half: value = m * 2^-24
    const full = mant | 0x800000;
    const shift = 13 + (-14 - e);
    if (full & ((1 << shift) - 1)) return undefined;
    return sign | (full >> shift);
  }
  return undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

// Map keys repeat (claim labels, body field names): their encodings are cached.
const keyCache = new Map<number | string, Uint8Array>();
const KEY_CACHE_MAX = 4096;

function encodeKey(k: CborMapKey): Uint8Array {
  if (typeof k !== 'number' && typeof k !== 'string') return encodeDeterministic(k);
  let b = keyCache.get(k);
  if (!b) {
    b = encodeDeterministic(k);
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(k, b);
  }
  return b;
}

function encodeMap(out: ByteSink, entries: [CborMapKey, CborValue][]): void {
  const encoded = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ({ k: encodeKey(k), v }));
  encoded.sort((a, b) => compareBytes(a.k, b.k));
  for (let i = 1; i < encoded.length; i++) {
    if (compareBytes(encoded[i - 1]!.k, encoded[i]!.k) === 0) throw new CborError('CBOR_DUPLICATE_KEY', 'map has two equal keys');
  }
  head(out, 5, encoded.length);
  for (const e of encoded) {
    out.bytes(e.k);
    encodeInto(out, e.v);
  }
}

// Objects with the same set of keys (observation bodies) share their key order: it is sorted
// once per shape (the key list) and kept, bounded.
const shapes = new Map<string, { keys: string[]; enc: Uint8Array[] }>();
const SHAPES_MAX = 1024;

function encodeObject(out: ByteSink, o: { [k: string]: CborValue }): void {
  const keys = Object.keys(o);
  for (const k of keys) if (o[k] === undefined) return encodeMap(out, Object.entries(o));
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  // The joined id can be ambiguous (keys that are empty or hold U+0000): a cached shape is used
  // only when it has exactly this object's keys.
  if (shape && (shape.keys.length !== keys.length || !shape.keys.every((k) => Object.prototype.hasOwnProperty.call(o, k)))) shape = undefined;
  if (!shape) {
    // Distinct text keys always have distinct encodings, so no duplicate check is needed here.
    const sorted = keys.map((k) => ({ k, enc: encodeKey(k) })).sort((a, b) => compareBytes(a.enc, b.enc));
    shape = { keys: sorted.map((e) => e.k), enc: sorted.map((e) => e.enc) };
    if (shapes.size < SHAPES_MAX && !shapes.has(id)) shapes.set(id, shape);
  }
  head(out, 5, keys.length);
  for (let i = 0; i < shape.keys.length; i++) {
    out.bytes(shape.enc[i]!);
    encodeInto(out, o[shape.keys[i]!]);
  }
}

function encodeInto(out: ByteSink, v: CborValue): void {
  switch (typeof v) {
    case 'number':
      if (Object.is(v, -0)) encodeFloat(out, v);
      // Safe integers need no bigint: -1 - v is exact for them.
      else if (Number.isSafeInteger(v)) v >= 0 ? head(out, 0, v) : head(out, 1, -1 - v);
      // Number(U64_MAX) rounds up to 2^64, which is one past the range of major type 0; compare
      // against the exact powers of two so 2^64 falls through to a float (RFC 8949 §3.1).
      else if (Number.isInteger(v) && v >= -(2 ** 64) && v < 2 ** 64) encodeInteger(out, BigInt(v));
      else encodeFloat(out, v);
      return;
    case 'bigint':
      encodeInteger(out, v);
      return;
    case 'string': {
      const b = te.encode(v);
      head(out, 3, b.length);
      out.bytes(b);
      return;
    }
    case 'boolean':
      out.byte(v ? 0xf5 : 0xf4);
      return;
    case 'undefined':
      out.byte(0xf7);
      return;
  }
  if (v === null) return out.byte(0xf6);
  if (v instanceof Uint8Array) {
    head(out, 2, v.length);
    out.bytes(v);
    return;
  }
  if (v instanceof CborFloat) return encodeFloat(out, v.value);
  if (v instanceof CborRaw) return out.bytes(v.bytes);
  if (v instanceof CborTag) {
    head(out, 6, v.tag);
    encodeInto(out, v.value);
    return;
  }
  if (Array.isArray(v)) {
    head(out, 4, v.length);
    for (const item of v) encodeInto(out, item);
    return;
  }
  if (v instanceof Map) return encodeMap(out, [...v.entries()]);
  if (typeof v === 'object') return encodeObject(out, v as { [k: string]: CborValue });
  throw new CborError('CBOR_UNSUPPORTED', `cannot encode a value of type ${typeof v}`);
}

/** Encodes `v` deterministically. Map entries whose value is undefined are left out. */
export function encodeDeterministic(v: CborValue): Uint8Array {
  const out = new CborWriter();
  encodeInto(out, v);
  return out.result();
}

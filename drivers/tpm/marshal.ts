/**
 * Big-endian marshalling of TPM 2.0 structures (TPM 2.0 Part 1 §18: all integers are
 * big-endian; Part 2 §10.4: a TPM2B is a UINT16 size followed by that many bytes).
 * Pure: no I/O. A short or overlong buffer is a coded error, never a silent truncation.
 */
import { TpmError } from './tpm-error.ts';

export class TpmWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.grow(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.grow(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** TPM2B: UINT16 size then the bytes (Part 2 §10.4). */
  tpm2b(b: Uint8Array): this {
    if (b.length > 0xffff) throw new TpmError('TPM_MARSHAL', `TPM2B of ${b.length} bytes exceeds 65535`);
    return this.u16(b.length).bytes(b);
  }

  /** A TPM2B whose contents are produced by `inner` (size known only after marshalling). */
  sized(inner: (w: TpmWriter) => void): this {
    const w = new TpmWriter();
    inner(w);
    return this.tpm2b(w.finish());
  }

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class TpmReader {
  private off = 0;

  constructor(private readonly buf: Uint8Array, private readonly what = 'response') {}

  private need(n: number): void {
    if (this.off + n > this.buf.length) {
      throw new TpmError('TPM_MALFORMED_RESPONSE', `${this.what}: needs ${n} more bytes at offset ${this.off}, has ${this.buf.length - this.off}`, {
        offset: this.off,
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.off]! << 8) | this.buf[this.off + 1]!;
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = ((this.buf[this.off]! << 24) | (this.buf[this.off + 1]! << 16) | (this.buf[this.off + 2]! << 8) | this.buf[this.off + 3]!) >>> 0;
    this.off += 4;
    return v;
  }

  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  tpm2b(): Uint8Array {
    return this.bytes(this.u16());
  }

  get offset(): number {
    return this.off;
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  /** Bytes consumed from `start` to the current offset, for hashing marshalled structures. */
  since(start: number): Uint8Array {
    return this.buf.slice(start, this.off);
  }

  /** Asserts the structure was consumed exactly: trailing bytes are reported, not ignored. */
  end(): void {
    if (this.off !== this.buf.length) {
      throw new TpmError('TPM_MALFORMED_RESPONSE', `${this.what}: ${this.buf.length - this.off} unexpected trailing bytes`, { offset: this.off });
    }
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

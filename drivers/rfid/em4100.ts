import { asRfidError, RfidError, RfidErrorCode } from './errors.ts';

/**
 * EM4100 125 kHz readers send the 40-bit tag (8-bit version / customer id + 32-bit id) as
 * ASCII hex between STX and ETX:
 *   RDM6300:            02 | 10 hex data | 2 hex checksum | 03                 = 14 bytes
 *   ID-12LA / ID-20LA:  02 | 10 hex data | 2 hex checksum | 0D 0A | 03         = 16 bytes
 * The checksum is the XOR of the five data bytes.
 */
export type Em4100Format = 'rdm6300' | 'id12';

export interface Em4100Read {
  /** The 5 data bytes as 10 upper-case hex digits, e.g. "0415AB3C9E". */
  tag: string;
  version: number;
  /** The 32-bit card number, as printed on many cards in decimal. */
  id: number;
  format: Em4100Format;
}

export const STX = 0x02;
export const ETX = 0x03;

export function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

function hexValue(b: number): number {
  return b <= 0x39 ? b - 0x30 : (b & 0xdf) - 0x41 + 10;
}

/** Checks and decodes one complete frame (14 or 16 bytes, already delimited). Throws RfidError on checksum mismatch. */
export function decodeEm4100Frame(f: Uint8Array): Em4100Read {
  const format: Em4100Format = f.length === 16 ? 'id12' : 'rdm6300';
  const bytes: number[] = [];
  for (let i = 0; i < 6; i++) bytes.push((hexValue(f[1 + 2 * i]!) << 4) | hexValue(f[2 + 2 * i]!));
  const data = bytes.slice(0, 5);
  const sum = data.reduce((a, b) => a ^ b, 0);
  const tag = data.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  if (sum !== bytes[5]) {
    throw new RfidError(RfidErrorCode.BadChecksum, `EM4100 tag ${tag}: checksum ${hex2(bytes[5]!)} but data XOR is ${hex2(sum)}`, { tag, format });
  }
  return { tag, version: data[0]!, id: ((data[1]! << 24) >>> 0) + (data[2]! << 16) + (data[3]! << 8) + data[4]!, format };
}

/** Builds a frame (for simulated readers and tests); `badChecksum` flips the checksum. */
export function encodeEm4100Frame(tag: string, format: Em4100Format, opts: { badChecksum?: boolean } = {}): Uint8Array {
  if (!/^[0-9A-Fa-f]{10}$/.test(tag)) throw new RangeError('tag must be 10 hex digits');
  const data = [...Buffer.from(tag, 'hex')];
  const sum = data.reduce((a, b) => a ^ b, 0) ^ (opts.badChecksum ? 0xff : 0);
  const ascii = [...Buffer.from(tag.toUpperCase() + hex2(sum), 'latin1')];
  return Uint8Array.from([STX, ...ascii, ...(format === 'id12' ? [0x0d, 0x0a] : []), ETX]);
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

export type Em4100Event = { ok: true; read: Em4100Read; frame: Uint8Array } | { ok: false; error: RfidError; bytes: Uint8Array };

/**
 * Finds EM4100 frames of either framing in a byte stream. Anything that is not part of a
 * frame is reported as a discarded run (RFID_DISCARDED, with its bytes), so resync after
 * garbage is countable. Holds at most one frame's worth of bytes.
 */
export class Em4100Framer {
  private buf: number[] = [];
  private run: number[] = [];

  /** Bytes held while a frame may still complete. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): Em4100Event[] {
    const out: Em4100Event[] = [];
    for (const b of chunk) this.buf.push(b);
    this.scan(out, false);
    return out;
  }

  flush(): Em4100Event[] {
    const out: Em4100Event[] = [];
    this.scan(out, true);
    this.run.push(...this.buf);
    this.buf = [];
    this.emitRun(out);
    return out;
  }

  private scan(out: Em4100Event[], final: boolean): void {
    let pos = 0;
    const b = this.buf;
    while (pos < b.length) {
      if (b[pos] !== STX) {
        this.run.push(b[pos]!);
        pos++;
        continue;
      }
      const verdict = this.frameAt(b, pos);
      if (verdict === 'wait' && !final) break;
      if (typeof verdict === 'number') {
        this.emitRun(out);
        const frame = Uint8Array.from(b.slice(pos, pos + verdict));
        try {
          out.push({ ok: true, read: decodeEm4100Frame(frame), frame });
        } catch (e) {
          out.push({ ok: false, error: asRfidError(e), bytes: frame });
        }
        pos += verdict;
        continue;
      }
      // Not a frame after all: the STX was noise; resync on the byte after it.
      this.run.push(b[pos]!);
      pos++;
    }
    this.buf = b.slice(pos);
    // Skipped bytes are final once scanned: report them now, not when the next frame comes.
    this.emitRun(out);
  }

  /** Frame length at `pos`, 'wait' for more bytes, or 'no' when the bytes cannot be a frame. */
  private frameAt(b: number[], pos: number): number | 'wait' | 'no' {
    for (let i = 1; i <= 12; i++) {
      const v = b[pos + i];
      if (v === undefined) return 'wait';
      if (!isHexDigit(v)) return 'no';
    }
    const t = b[pos + 13];
    if (t === undefined) return 'wait';
    if (t === ETX) return 14;
    if (t !== 0x0d) return 'no';
    const lf = b[pos + 14];
    if (lf === undefined) return 'wait';
    if (lf !== 0x0a) return 'no';
    const etx = b[pos + 15];
    if (etx === undefined) return 'wait';
    return etx === ETX ? 16 : 'no';
  }

  private emitRun(out: Em4100Event[]): void {
    if (this.run.length === 0) return;
    const bytes = Uint8Array.from(this.run);
    this.run = [];
    out.push({ ok: false, error: new RfidError(RfidErrorCode.Discarded, `${bytes.length} bytes outside any EM4100 frame`, { count: bytes.length }), bytes });
  }
}

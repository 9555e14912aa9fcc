import { AisError, AisErrorCode } from './errors.ts';

/**
 * The de-armoured message bits. Payload characters carry 6 bits each
 * (ITU-R M.1371-5 Annex 8 / IEC 61162-1 Table 7: '0'..'W' = 0..39, '`'..'w' = 40..63);
 * the last character's trailing `fillBits` are padding.
 */
export class AisBits {
  /** One byte per bit: simple and fast enough for messages of at most a few hundred bits. */
  private constructor(
    private readonly bits: Uint8Array,
    readonly length: number,
  ) {}

  static fromPayload(payload: string, fillBits: number): AisBits {
    const bits = new Uint8Array(payload.length * 6);
    for (let i = 0; i < payload.length; i++) {
      const v = dearmour(payload.charCodeAt(i));
      if (v < 0) {
        throw new AisError(AisErrorCode.BadArmour, `payload character '${payload[i]}' at ${i} is outside the 6-bit alphabet`, { index: i });
      }
      const o = i * 6;
      bits[o] = (v >> 5) & 1;
      bits[o + 1] = (v >> 4) & 1;
      bits[o + 2] = (v >> 3) & 1;
      bits[o + 3] = (v >> 2) & 1;
      bits[o + 4] = (v >> 1) & 1;
      bits[o + 5] = v & 1;
    }
    const length = Math.max(0, payload.length * 6 - fillBits);
    return new AisBits(bits, length);
  }

  /** Unsigned field of `width` (<= 32) bits at `start`; bits past the end read as 0. */
  u(start: number, width: number): number {
    const end = Math.min(start + width, this.length);
    let v = 0;
    for (let i = start; i < end; i++) v = v * 2 + this.bits[i]!;
    // Missing trailing bits read as zeros.
    for (let i = Math.max(end, start); i < start + width; i++) v *= 2;
    return v;
  }

  /** Two's-complement signed field. */
  s(start: number, width: number): number {
    const v = this.u(start, width);
    const half = 2 ** (width - 1);
    return v >= half ? v - 2 * half : v;
  }

  flag(start: number): boolean {
    return this.bit(start) === 1;
  }

  /**
   * 6-bit ASCII text (ITU-R M.1371-5 Table 47): 0..31 map to '@'..'_', 32..63 to ' '..'?'.
   * '@' is "not available" (Table 47 note): the text ends at the first one, whatever follows
   * it, and trailing spaces are padding. gpsd 3.22 reads text the same way, so a call sign
   * sent as "@@J130B" is empty.
   */
  text(start: number, chars: number, options: { trimSpaces?: boolean } = {}): string {
    let s = '';
    for (let i = 0; i < chars; i++) {
      const c = this.u(start + i * 6, 6);
      if (c === 0) break;
      s += String.fromCharCode(c < 32 ? c + 64 : c);
    }
    return options.trimSpaces === false ? s : s.replace(/ +$/, '');
  }

  /**
   * Bits `start` to `end` (default the end) as gpsd prints an undecoded binary payload: `"<bit count>:<hex>"`,
   * the bits packed into bytes from the most significant end, the last byte padded with zeros.
   */
  rawData(start: number, end = this.length): string {
    const n = Math.max(0, end - start);
    let hex = '';
    for (let i = 0; i < n; i += 8) {
      let byte = 0;
      for (let j = 0; j < 8; j++) byte = byte * 2 + (i + j < n ? this.bits[start + i + j]! : 0);
      hex += byte.toString(16).padStart(2, '0');
    }
    return `${n}:${hex}`;
  }

  private bit(i: number): number {
    return i < this.length ? this.bits[i]! : 0;
  }
}

function dearmour(code: number): number {
  if (code >= 48 && code <= 87) return code - 48;
  if (code >= 96 && code <= 119) return code - 56;
  return -1;
}

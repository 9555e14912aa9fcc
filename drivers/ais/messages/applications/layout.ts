import type { AisBits } from '../../bits.ts';

/**
 * Reads an application payload field after field, in the order of its table, so a decoder
 * is an object literal that reads like the table (and keeps one fast object shape: building
 * 30-odd fields by computed keys made V8 fall back to slow dictionary objects, 300 µs a
 * message). Bits past the end of a short message read as zeros, as AisBits does.
 */
export class BitCursor {
  constructor(
    private readonly b: AisBits,
    public at: number,
  ) {}

  u(bits: number): number {
    const v = this.b.u(this.at, bits);
    this.at += bits;
    return v;
  }

  /** Two's complement. */
  s(bits: number): number {
    const v = this.b.s(this.at, bits);
    this.at += bits;
    return v;
  }

  flag(): boolean {
    const v = this.b.flag(this.at);
    this.at += 1;
    return v;
  }

  /** `chars` 6-bit characters (ITU-R M.1371-5 Table 47), cut at the first '@'. */
  text(chars: number): string {
    const v = this.b.text(this.at, chars);
    this.at += chars * 6;
    return v;
  }

  /** Day (5 bits), hour (5), minute (6) as gpsd renders them: `"DDTHH:MMZ"`, not-available codes as sent. */
  dayTime(): string {
    const day = this.u(5);
    const hour = this.u(5);
    return `${two(day)}T${two(hour)}:${two(this.u(6))}Z`;
  }

  /** Month (4 bits), then day, hour, minute: `"MM-DDTHH:MMZ"`. */
  monthDayTime(): string {
    const month = this.u(4);
    return `${two(month)}-${this.dayTime()}`;
  }
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

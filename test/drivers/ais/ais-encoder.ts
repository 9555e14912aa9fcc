/**
 * Test-only AIS sentence builder: packs fields into bits, armours them (ITU-R M.1371-5
 * Annex 8 / IEC 61162-1 Table 7) and wraps them in a checksummed !AIVDM sentence.
 */
export class BitWriter {
  private bits: number[] = [];
  u(value: number, width: number): this {
    for (let i = width - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  s(value: number, width: number): this {
    return this.u(value < 0 ? 2 ** width + value : value, width);
  }
  text(t: string, chars: number): this {
    const padded = t.padEnd(chars, '@').slice(0, chars);
    for (const ch of padded) {
      const c = ch.charCodeAt(0);
      this.u(c >= 64 ? c - 64 : c, 6);
    }
    return this;
  }
  get length(): number {
    return this.bits.length;
  }
  armour(): { payload: string; fill: number } {
    const fill = (6 - (this.bits.length % 6)) % 6;
    const all = [...this.bits, ...new Array<number>(fill).fill(0)];
    let payload = '';
    for (let i = 0; i < all.length; i += 6) {
      let v = 0;
      for (let j = 0; j < 6; j++) v = v * 2 + (all[i + j] ?? 0);
      payload += String.fromCharCode(v < 40 ? v + 48 : v + 56);
    }
    return { payload, fill };
  }
}

export function checksum(body: string): string {
  let c = 0;
  for (let i = 0; i < body.length; i++) c ^= body.charCodeAt(i);
  return c.toString(16).toUpperCase().padStart(2, '0');
}

export function sentence(payload: string, fill: number, opts: { count?: number; num?: number; seq?: string; channel?: string; talker?: string } = {}): string {
  const body = `${opts.talker ?? 'AIVDM'},${opts.count ?? 1},${opts.num ?? 1},${opts.seq ?? ''},${opts.channel ?? 'A'},${payload},${fill}`;
  return `!${body}*${checksum(body)}`;
}

export interface PositionA {
  type?: 1 | 2 | 3;
  mmsi: number;
  status?: number;
  turn?: number;
  speed?: number;
  accuracy?: boolean;
  lon: number;
  lat: number;
  course?: number;
  heading?: number;
  second?: number;
}

/** Type 1/2/3 from raw field values (ITU-R M.1371-5 Table 46). */
export function positionA(p: PositionA): string {
  const w = new BitWriter()
    .u(p.type ?? 1, 6)
    .u(0, 2)
    .u(p.mmsi, 30)
    .u(p.status ?? 0, 4)
    .s(p.turn ?? -128, 8)
    .u(p.speed ?? 0, 10)
    .u(p.accuracy ? 1 : 0, 1)
    .s(p.lon, 28)
    .s(p.lat, 27)
    .u(p.course ?? 3600, 12)
    .u(p.heading ?? 511, 9)
    .u(p.second ?? 60, 6)
    .u(0, 2)
    .u(0, 3)
    .u(0, 1)
    .u(0, 19);
  const { payload, fill } = w.armour();
  return sentence(payload, fill);
}

import type { NmeaEnvelope } from './envelope.ts';
import { assign, FieldError, int, numIn, oneOf } from './fields.ts';

/** GSA, "GNSS DOP and active satellites" (NMEA 0183 v4.11 §8.3.43). */
export interface GsaSentence {
  sentence: 'GSA';
  talker: string;
  /** M = manual, forced 2D/3D; A = automatic. */
  selection?: 'M' | 'A';
  /** 1 = fix not available, 2 = 2D, 3 = 3D. */
  fixMode: 1 | 2 | 3;
  /** Satellite ids used in the solution (12 slots; empty slots dropped). */
  satellites: number[];
  pdop?: number;
  hdop?: number;
  vdop?: number;
  /** NMEA 4.11 GNSS system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC). */
  systemId?: number;
}

export const GSA_MIN_FIELDS = 17;

export function decodeGsa(e: NmeaEnvelope): GsaSentence {
  const f = e.fields;
  const modeNum = int(f[1], 'fix mode') ?? 1;
  if (modeNum < 1 || modeNum > 3) throw new FieldError('fix mode', f[1] ?? '');
  const satellites: number[] = [];
  for (let i = 2; i < 14; i++) {
    const s = int(f[i], 'satellite id');
    if (s !== undefined) satellites.push(s);
  }
  const out: GsaSentence = { sentence: 'GSA', talker: e.talker, fixMode: modeNum as 1 | 2 | 3, satellites };
  assign(out, 'selection', oneOf(f[0], 'selection', ['M', 'A'] as const));
  assign(out, 'pdop', numIn(f[14], 'pdop', 0, 100));
  assign(out, 'hdop', numIn(f[15], 'hdop', 0, 100));
  assign(out, 'vdop', numIn(f[16], 'vdop', 0, 100));
  assign(out, 'systemId', int(f[17], 'system id'));
  return out;
}

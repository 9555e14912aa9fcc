import type { NmeaEnvelope } from './envelope.ts';
import { assign, FieldError, int, numIn, oneOf, type FieldIssues } from './fields.ts';

/** GSA, "GNSS DOP and active satellites" (NMEA 0183 v4.11 §8.3.43). */
export interface GsaSentence {
  sentence: 'GSA';
  talker: string;
  /** M = manual, forced 2D/3D; A = automatic. */
  selection?: 'M' | 'A';
  /** 1 = fix not available, 2 = 2D, 3 = 3D. */
  fixMode: 1 | 2 | 3;
  /** Satellite ids used in the solution (12 slots, more on some receivers; empty slots dropped). */
  satellites: number[];
  pdop?: number;
  hdop?: number;
  vdop?: number;
  /** NMEA 4.11 GNSS system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC). */
  systemId?: number;
}

export const GSA_MIN_FIELDS = 17;

export function decodeGsa(e: NmeaEnvelope, m: FieldIssues): GsaSentence {
  const f = e.fields;
  const modeNum = int(f[1], 'fix mode') ?? 1;
  if (modeNum < 1 || modeNum > 3) throw new FieldError('fix mode', f[1] ?? '');
  // NMEA 0183 gives 12 satellite slots (fields 2-13), then PDOP, HDOP, VDOP and (4.11) a
  // system id: 17 or 18 fields. Longer GSAs (the Navior CH-4701 sends 24 slots) keep the
  // DOPs as the last three fields, so the slots are whatever lies between.
  const wide = f.length > 18;
  const dop = wide ? f.length - 3 : 14;
  const satellites: number[] = [];
  for (let i = 2; i < dop; i++) {
    const s = m.minor(() => int(f[i], 'satellite id'));
    if (s !== undefined) satellites.push(s);
  }
  const out: GsaSentence = { sentence: 'GSA', talker: e.talker, fixMode: modeNum as 1 | 2 | 3, satellites };
  assign(out, 'selection', m.minor(() => oneOf(f[0], 'selection', ['M', 'A'] as const)));
  assign(out, 'pdop', m.minor(() => numIn(f[dop], 'pdop', 0, 100)));
  assign(out, 'hdop', m.minor(() => numIn(f[dop + 1], 'hdop', 0, 100)));
  assign(out, 'vdop', m.minor(() => numIn(f[dop + 2], 'vdop', 0, 100)));
  if (!wide) assign(out, 'systemId', m.minor(() => systemId(f[17])));
  return out;
}

/**
 * NMEA 4.11 GNSS system id (trailing GSA field): 1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou,
 * 5 QZSS, 6 NavIC; ids up to 15 are kept for systems added later. Anything else is a bad field.
 */
function systemId(s: string | undefined): number | undefined {
  const v = int(s, 'system id');
  if (v !== undefined && (v < 1 || v > 15)) throw new FieldError('system id', s ?? '');
  return v;
}

/** NMEA 4.11 system id by constellation talker (§6.1.4 talker identifiers); GN (combined) has none. */
const SYSTEM_BY_TALKER: Readonly<Record<string, number>> = { GP: 1, GL: 2, GA: 3, GB: 4, BD: 4, GQ: 5, QZ: 5, GI: 6 };

/**
 * The GNSS system a GSA satellite id belongs to: the GSA's NMEA 4.11 system id field, else
 * its talker, else (a GN GSA from an NMEA 4.0 receiver) the id's numbering range; 0 when
 * none of these says.
 */
export function gsaSystem(s: GsaSentence, id: number): number {
  const sys = s.systemId ?? SYSTEM_BY_TALKER[s.talker];
  if (sys !== undefined) return sys;
  // NMEA 0183 v3/v4.0 satellite id ranges: GPS 1-32 and SBAS 33-64 (reported under GPS), GLONASS 65-96.
  if (id >= 1 && id <= 64) return 1;
  if (id >= 65 && id <= 96) return 2;
  return 0;
}

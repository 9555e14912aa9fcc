/**
 * Pure decoding of the gpsd JSON protocol reports this agent uses (gpsd_json(5), protocol
 * 3.x): TPV (time-position-velocity), SKY (satellites and DOPs), GST (pseudorange noise).
 * Fields are checked for type and range; anything else is a coded rejection, never a throw.
 */
import type { GpsdErrorCode } from './errors.ts';

export interface GpsdTpv {
  class: 'TPV';
  device?: string;
  /** 0 unknown, 1 no fix, 2 2D, 3 3D. */
  mode: 0 | 1 | 2 | 3;
  /** gpsd ≥ 3.20: 0 unknown, 1 normal, 2 DGPS, 3 RTK fixed, 4 RTK float, 5 DR, 6 GNSS+DR, 7 time only, 8 simulated. */
  status?: number;
  timeMs?: number;
  lat?: number;
  lon?: number;
  /** Altitude MSL, metres (`altMSL`, or the older `alt`). */
  altMslM?: number;
  speedMps?: number;
  trackDeg?: number;
  /** Estimated horizontal position error, metres, 95 % (gpsd's `eph`). */
  ephM?: number;
  /** Longitude / latitude error estimates, metres, 95 %. */
  epxM?: number;
  epyM?: number;
}

export interface GpsdSky {
  class: 'SKY';
  device?: string;
  timeMs?: number;
  hdop?: number;
  pdop?: number;
  vdop?: number;
  satellitesUsed?: number;
  satellitesVisible?: number;
}

export interface GpsdGst {
  class: 'GST';
  device?: string;
  timeMs?: number;
  rmsM?: number;
  /** 1σ latitude / longitude / altitude errors, metres. */
  latSigmaM?: number;
  lonSigmaM?: number;
  altSigmaM?: number;
}

export type GpsdReport = GpsdTpv | GpsdSky | GpsdGst;

export type GpsdDecodeResult =
  /**
   * `badFields`: minor fields present but malformed or out of range (`"eph: \"x\""`), left
   * out of the report while the rest is kept, as the NMEA decoders do (drivers/nmea/fields.ts).
   */
  | { ok: true; report: GpsdReport; badFields: string[] }
  | { ok: false; code: (typeof GpsdErrorCode)['BadJson' | 'BadField' | 'Unsupported']; reason: string; cls?: string };

class BadField extends Error {}

function n(o: Record<string, unknown>, k: string, min = -Infinity, max = Infinity): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new BadField(`${k}: ${JSON.stringify(v)}`);
  return v;
}

function time(o: Record<string, unknown>): number | undefined {
  const v = o['time'];
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new BadField(`time: ${JSON.stringify(v)}`);
  return ms;
}

function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/**
 * Decodes one line of gpsd output (one JSON object). Key fields (TPV mode, time, lat, lon;
 * GST time, which ties it to its TPV) reject the report when malformed (GPSD_BAD_FIELD); any
 * other field is checked on its own and left out when malformed, listed in `badFields`.
 */
export function decodeGpsdLine(line: string): GpsdDecodeResult {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return { ok: false, code: 'GPSD_BAD_JSON', reason: (e as Error).message };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, code: 'GPSD_BAD_JSON', reason: 'not a JSON object' };
  const r = o as Record<string, unknown>;
  const cls = typeof r['class'] === 'string' ? (r['class'] as string) : undefined;
  const badFields: string[] = [];
  const minor = <T>(read: () => T | undefined): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof BadField)) throw e;
      badFields.push(e.message);
      return undefined;
    }
  };
  try {
    const device = typeof r['device'] === 'string' ? (r['device'] as string) : undefined;
    switch (cls) {
      case 'TPV': {
        const mode = n(r, 'mode', 0, 3) ?? 0;
        if (!Number.isInteger(mode)) throw new BadField(`mode: ${mode}`);
        const t: GpsdTpv = { class: 'TPV', mode: mode as GpsdTpv['mode'] };
        put(t, 'device', device);
        put(t, 'status', minor(() => n(r, 'status', 0, 15)));
        put(t, 'timeMs', time(r));
        put(t, 'lat', n(r, 'lat', -90, 90));
        put(t, 'lon', n(r, 'lon', -180, 180));
        put(t, 'altMslM', minor(() => n(r, 'altMSL')) ?? minor(() => n(r, 'alt')));
        put(t, 'speedMps', minor(() => n(r, 'speed', 0)));
        put(t, 'trackDeg', minor(() => n(r, 'track', 0, 360)));
        put(t, 'ephM', minor(() => n(r, 'eph', 0)));
        put(t, 'epxM', minor(() => n(r, 'epx', 0)));
        put(t, 'epyM', minor(() => n(r, 'epy', 0)));
        return { ok: true, report: t, badFields };
      }
      case 'SKY': {
        const s: GpsdSky = { class: 'SKY' };
        put(s, 'device', device);
        put(s, 'timeMs', minor(() => time(r)));
        put(s, 'hdop', minor(() => n(r, 'hdop', 0)));
        put(s, 'pdop', minor(() => n(r, 'pdop', 0)));
        put(s, 'vdop', minor(() => n(r, 'vdop', 0)));
        let used = minor(() => n(r, 'uSat', 0));
        let visible = minor(() => n(r, 'nSat', 0));
        const sats = r['satellites'];
        if (Array.isArray(sats)) {
          visible ??= sats.length;
          used ??= sats.filter((x) => typeof x === 'object' && x !== null && (x as { used?: unknown }).used === true).length;
        }
        put(s, 'satellitesUsed', used);
        put(s, 'satellitesVisible', visible);
        return { ok: true, report: s, badFields };
      }
      case 'GST': {
        const g: GpsdGst = { class: 'GST' };
        put(g, 'device', device);
        put(g, 'timeMs', time(r));
        put(g, 'rmsM', minor(() => n(r, 'rms', 0)));
        put(g, 'latSigmaM', minor(() => n(r, 'lat', 0)));
        put(g, 'lonSigmaM', minor(() => n(r, 'lon', 0)));
        put(g, 'altSigmaM', minor(() => n(r, 'alt', 0)));
        return { ok: true, report: g, badFields };
      }
      default:
        return cls === undefined
          ? { ok: false, code: 'GPSD_BAD_JSON', reason: 'object without a class' }
          : { ok: false, code: 'GPSD_UNSUPPORTED', reason: `class ${cls}`, cls };
    }
  } catch (e) {
    if (e instanceof BadField) return { ok: false, code: 'GPSD_BAD_FIELD', reason: `${cls}: ${e.message}`, ...(cls ? { cls } : {}) };
    throw e;
  }
}

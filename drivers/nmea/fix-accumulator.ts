import type { Clock } from '../../core/clock.ts';
import { toEpochMs, type CalendarDate } from './fields.ts';
import { isMeasuredFix, type FixQuality } from './fix-quality.ts';
import { checkGnssTime, type GnssTimeCheck, type GnssTimeCheckOptions } from './gnss-time.ts';
import { isPlausible, PLAUSIBLE_BOUNDS, type ImplausibleValue, type PlausibleQuantity } from './plausibility.ts';
import { gsaSystem } from './gsa.ts';
import type { NmeaSentence } from './sentence.ts';

export type FixMode = 'none' | '2d' | '3d';

/** One receiver epoch, merged from its sentences. */
export interface GnssFix {
  /** True when this is a measured position a consumer may use (see `isMeasuredFix`, RMC/GLL status). */
  valid: boolean;
  fixMode: FixMode;
  fixQuality?: FixQuality;
  timeOfDayMs?: number;
  date?: CalendarDate;
  /** Receiver date + time, checked against the host clock (week rollover). */
  gnssTime?: GnssTimeCheck;
  lat?: number;
  lon?: number;
  altMslM?: number;
  speedMps?: number;
  trackDeg?: number;
  hdop?: number;
  pdop?: number;
  vdop?: number;
  /**
   * Satellites used in the solution: distinct (GNSS system, satellite id) pairs over the
   * epoch's GSA sentences; from GGA/GNS counts (summed over talkers) only when no GSA listed any.
   */
  satellitesUsed?: number;
  /** Satellites used per GNSS system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC, 0 unknown), from GSA. */
  satellitesUsedBySystem?: Record<number, number>;
  latSigmaM?: number;
  lonSigmaM?: number;
  /** Checksum-valid values outside the plausibility bounds (plausibility.ts); left out of the fix above. */
  implausible: ImplausibleValue[];
  /**
   * Horizontal accuracy, metres, as a DRMS (≈1σ radial, 63–68 %): from GST as
   * sqrt(σlat² + σlon²) when the epoch has one, otherwise HDOP × UERE(fix quality).
   */
  accuracyM?: number;
  accuracySource: 'gst' | 'hdop' | 'none';
  /** Formatters that fed this epoch, in arrival order, e.g. ['RMC','VTG','GGA','GSA']. */
  sentences: string[];
}

/**
 * User-equivalent range error (1σ, metres) by fix quality, for accuracy = HDOP × UERE, the
 * defining relation of HDOP (σ_horizontal = HDOP · σ_UERE). The values are stated assumptions,
 * not measurements: ~5 m for single-frequency civil code (typical published UERE budgets are
 * 4–6 m), 1.5 m with DGPS/SBAS corrections, 0.5 m RTK float, 0.05 m RTK fixed. Estimated,
 * manual and simulated positions get no accuracy at all.
 */
export const DEFAULT_UERE_M: Readonly<Partial<Record<FixQuality, number>>> = {
  gps: 5,
  pps: 3,
  dgps: 1.5,
  'rtk-float': 0.5,
  'rtk-fixed': 0.05,
};

export interface GnssFixAccumulatorOptions {
  /** Host clock for the GNSS time check. */
  clock: Clock;
  uereM?: Partial<Record<FixQuality, number>>;
  time?: GnssTimeCheckOptions;
}

interface Epoch {
  timeOfDayMs?: number;
  date?: CalendarDate;
  posRank: number;
  lat?: number;
  lon?: number;
  altMslM?: number;
  speedMps?: number;
  trackDeg?: number;
  fixQuality?: FixQuality;
  gsaMode?: 1 | 2 | 3;
  rmcStatus?: 'A' | 'V';
  gllStatus?: 'A' | 'V';
  hdop?: number;
  gsaHdop?: number;
  pdop?: number;
  vdop?: number;
  /** GGA/GNS satellites-used count per talker (GPGGA and GLGGA in one epoch are different constellations). */
  ggaSatellites: Map<string, number>;
  /** `system:id` of every satellite a GSA listed as used. */
  gsaSatellites: Set<string>;
  latSigmaM?: number;
  lonSigmaM?: number;
  sentences: string[];
}

function emptyEpoch(): Epoch {
  return { posRank: 0, ggaSatellites: new Map(), gsaSatellites: new Set(), sentences: [] };
}

const HALF_DAY_MS = 43_200_000;
/** More than any receiver sends per epoch (a 4-constellation receiver with GSV for each: ~40). */
export const MAX_SENTENCES_PER_EPOCH = 100;
const DAY_MS = 86_400_000;

/**
 * Merges a receiver's sentences into one fix per epoch. An epoch ends when a time-tagged
 * sentence (GGA, RMC, GLL, GNS, GST, ZDA) carries a different UTC time than the current
 * one, or on `flush()`; untimed sentences (GSA, GSV, VTG) join the current epoch. Receivers
 * emit an epoch's sentences together once per cycle (NMEA 0183 gives no cycle-end marker),
 * so a fix is returned one sentence after its epoch closes; a source flushes on idle.
 */
export class GnssFixAccumulator {
  private epoch: Epoch = emptyEpoch();
  /** Last date seen, carried into epochs without RMC/ZDA; advanced when time of day wraps past midnight. */
  private lastDate: CalendarDate | undefined;
  private lastTimeOfDay: number | undefined;
  private readonly uere: Partial<Record<FixQuality, number>>;

  constructor(private readonly options: GnssFixAccumulatorOptions) {
    this.uere = { ...DEFAULT_UERE_M, ...options.uereM };
  }

  /** Adds a sentence; returns the previous epoch's fix when this sentence starts a new epoch. */
  push(s: NmeaSentence): GnssFix | undefined {
    let closed: GnssFix | undefined;
    const t = 'timeOfDayMs' in s ? s.timeOfDayMs : undefined;
    if (
      (t !== undefined && this.epoch.timeOfDayMs !== undefined && t !== this.epoch.timeOfDayMs) ||
      // A receiver without a fix may send no time at all; an epoch never grows without bound.
      this.epoch.sentences.length >= MAX_SENTENCES_PER_EPOCH
    ) {
      closed = this.flush();
    }
    const e = this.epoch;
    if (t !== undefined) e.timeOfDayMs = t;
    e.sentences.push(s.sentence);
    switch (s.sentence) {
      case 'GGA':
      case 'GNS':
        e.fixQuality = s.quality;
        this.position(e, 3, s.lat, s.lon);
        if (s.altMslM !== undefined) e.altMslM = s.altMslM;
        if (s.hdop !== undefined) e.hdop = s.hdop;
        if (s.satellitesUsed !== undefined) e.ggaSatellites.set(s.talker, s.satellitesUsed);
        break;
      case 'RMC':
        if (s.status !== undefined) e.rmcStatus = s.status;
        this.position(e, 2, s.lat, s.lon);
        if (s.speedMps !== undefined) e.speedMps = s.speedMps;
        if (s.trackDeg !== undefined) e.trackDeg = s.trackDeg;
        if (s.date !== undefined) e.date = s.date;
        break;
      case 'GLL':
        if (s.status !== undefined) e.gllStatus = s.status;
        this.position(e, 1, s.lat, s.lon);
        break;
      case 'VTG':
        if (e.speedMps === undefined && s.speedMps !== undefined) e.speedMps = s.speedMps;
        if (e.trackDeg === undefined && s.trackDeg !== undefined) e.trackDeg = s.trackDeg;
        break;
      case 'GSA':
        // Multi-constellation receivers send one GSA per system in the same epoch.
        e.gsaMode = Math.max(e.gsaMode ?? 1, s.fixMode) as 1 | 2 | 3;
        for (const id of s.satellites) e.gsaSatellites.add(`${gsaSystem(s, id)}:${id}`);
        if (s.hdop !== undefined) e.gsaHdop = s.hdop;
        if (s.pdop !== undefined) e.pdop = s.pdop;
        if (s.vdop !== undefined) e.vdop = s.vdop;
        break;
      case 'GST':
        if (s.latSigmaM !== undefined) e.latSigmaM = s.latSigmaM;
        if (s.lonSigmaM !== undefined) e.lonSigmaM = s.lonSigmaM;
        break;
      case 'ZDA':
        if (s.date !== undefined) e.date = s.date;
        break;
      case 'GSV':
        break;
    }
    return closed;
  }

  /** Closes the current epoch; returns its fix, or undefined if it held nothing. */
  flush(): GnssFix | undefined {
    const e = this.epoch;
    this.epoch = emptyEpoch();
    if (e.sentences.length === 0) return undefined;
    return this.toFix(e);
  }

  private position(e: Epoch, rank: number, lat: number | undefined, lon: number | undefined): void {
    if (lat === undefined || lon === undefined || rank <= e.posRank) return;
    e.posRank = rank;
    e.lat = lat;
    e.lon = lon;
  }

  private toFix(e: Epoch): GnssFix {
    const fix: GnssFix = { valid: false, fixMode: 'none', accuracySource: 'none', implausible: [], sentences: e.sentences };
    const ggaUsed = ggaSatellitesUsed(e.ggaSatellites);
    const explicitInvalid = e.fixQuality === 'invalid' || e.rmcStatus === 'V' || (e.rmcStatus === undefined && e.gllStatus === 'V');
    const hasPos = e.lat !== undefined && e.lon !== undefined;
    if (e.gsaMode !== undefined) fix.fixMode = e.gsaMode === 3 ? '3d' : e.gsaMode === 2 ? '2d' : 'none';
    // Fewer than 3 satellites cannot give a position (2D needs 3, 3D 4): such a GGA is no fix whatever its quality says.
    else if (e.fixQuality !== undefined && e.fixQuality !== 'invalid' && hasPos && !(ggaUsed !== undefined && ggaUsed < 3)) {
      fix.fixMode = e.altMslM !== undefined ? '3d' : '2d';
    }
    else if ((e.rmcStatus === 'A' || e.gllStatus === 'A') && hasPos) fix.fixMode = '2d';
    if (explicitInvalid && e.gsaMode === undefined) fix.fixMode = 'none';
    const qualityOk = e.fixQuality === undefined || isMeasuredFix(e.fixQuality);
    fix.valid = hasPos && fix.fixMode !== 'none' && qualityOk && !explicitInvalid;

    if (e.fixQuality !== undefined) fix.fixQuality = e.fixQuality;
    const trusted = this.plausible(e, fix);
    if (e.timeOfDayMs !== undefined) fix.timeOfDayMs = e.timeOfDayMs;
    if (e.date !== undefined && !isPlausible('year', e.date.year)) {
      fix.implausible.push({ quantity: 'year', value: e.date.year });
      delete e.date;
    }
    const date = this.dateFor(e);
    if (date !== undefined) fix.date = date;
    if (date !== undefined && e.timeOfDayMs !== undefined) {
      fix.gnssTime = checkGnssTime(toEpochMs(date, e.timeOfDayMs), this.options.clock.now(), this.options.time);
    }
    if (hasPos) {
      fix.lat = e.lat;
      fix.lon = e.lon;
    }
    if (trusted.altMslM !== undefined) fix.altMslM = trusted.altMslM;
    if (trusted.speedMps !== undefined) fix.speedMps = trusted.speedMps;
    if (trusted.trackDeg !== undefined) fix.trackDeg = trusted.trackDeg;
    const hdop = trusted.hdop;
    if (hdop !== undefined) fix.hdop = hdop;
    if (trusted.pdop !== undefined) fix.pdop = trusted.pdop;
    if (trusted.vdop !== undefined) fix.vdop = trusted.vdop;
    if (trusted.satellitesUsed !== undefined) fix.satellitesUsed = trusted.satellitesUsed;
    if (e.gsaSatellites.size > 0) fix.satellitesUsedBySystem = bySystem(e.gsaSatellites);
    if (trusted.latSigmaM !== undefined) fix.latSigmaM = trusted.latSigmaM;
    if (trusted.lonSigmaM !== undefined) fix.lonSigmaM = trusted.lonSigmaM;

    if (fix.valid) {
      if (trusted.latSigmaM !== undefined && trusted.lonSigmaM !== undefined) {
        fix.accuracyM = Math.hypot(trusted.latSigmaM, trusted.lonSigmaM);
        fix.accuracySource = 'gst';
      } else if (hdop !== undefined && hdop > 0) {
        const uere = this.uere[e.fixQuality ?? 'gps'];
        if (uere !== undefined) {
          fix.accuracyM = hdop * uere;
          fix.accuracySource = 'hdop';
        }
      }
    }
    return fix;
  }

  /** The epoch's quantities that pass their plausibility bound; the others are listed in `fix.implausible`. */
  private plausible(e: Epoch, fix: GnssFix): Partial<Record<PlausibleQuantity, number>> {
    const ggaUsed = ggaSatellitesUsed(e.ggaSatellites);
    const candidates: Partial<Record<PlausibleQuantity, number>> = {
      altMslM: e.altMslM,
      speedMps: e.speedMps,
      trackDeg: e.trackDeg,
      hdop: e.gsaHdop ?? e.hdop,
      pdop: e.pdop,
      vdop: e.vdop,
      satellitesUsed: e.gsaSatellites.size > 0 ? e.gsaSatellites.size : ggaUsed,
      latSigmaM: e.latSigmaM,
      lonSigmaM: e.lonSigmaM,
    };
    const out: Partial<Record<PlausibleQuantity, number>> = {};
    for (const [q, v] of Object.entries(candidates) as Array<[PlausibleQuantity, number | undefined]>) {
      if (v === undefined) continue;
      if (isPlausible(q, v) || (PLAUSIBLE_BOUNDS[q].validFixOnly === true && !fix.valid)) out[q] = v;
      else fix.implausible.push({ quantity: q, value: v });
    }
    return out;
  }

  private dateFor(e: Epoch): CalendarDate | undefined {
    let date = e.date;
    if (date === undefined && this.lastDate !== undefined && e.timeOfDayMs !== undefined && this.lastTimeOfDay !== undefined) {
      date = this.lastDate;
      // Time of day went back by more than half a day: the epoch is on the next UTC day.
      if (e.timeOfDayMs < this.lastTimeOfDay - HALF_DAY_MS) {
        const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + DAY_MS);
        date = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
      }
    }
    if (date !== undefined) this.lastDate = date;
    if (e.timeOfDayMs !== undefined) this.lastTimeOfDay = e.timeOfDayMs;
    return date;
  }
}

/** GGA/GNS counts summed over constellation talkers; a GN (combined) count stands for all of them when larger. */
function ggaSatellitesUsed(byTalker: Map<string, number>): number | undefined {
  if (byTalker.size === 0) return undefined;
  let sum = 0;
  for (const [talker, n] of byTalker) if (talker !== 'GN') sum += n;
  return Math.max(sum, byTalker.get('GN') ?? 0);
}

function bySystem(keys: Set<string>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const k of keys) {
    const sys = Number(k.slice(0, k.indexOf(':')));
    out[sys] = (out[sys] ?? 0) + 1;
  }
  return out;
}

/**
 * The gateway's own position and clock quality, from its GNSS receiver (DESIGN.md, claims 264
 * and -65543). Pure: readings and time go in.
 *
 * - Location: the latest good fix while it is fresh; otherwise the surveyed position from
 *   configuration, with its stated accuracy; neither: none.
 * - A good fix farther than `maxDriftM` (plus both accuracies) from the surveyed position means
 *   the gateway is not where it is supposed to be (carried off its place): reported once per
 *   excursion.
 * - Time quality: while a fix carrying GNSS time is held, the host clock is measured against
 *   it. A sentence reaches the host some time after its epoch (serial transmission, gpsd), so
 *   each offset over-states the clock error by that latency; the smallest of the last few is
 *   the tightest bound, and it is what `err` states.
 */
import type { Reading } from '../../core/reading.ts';
import type { Location, TimeQuality } from '../lineage/observation-types.ts';
import { distanceM } from './evidence.ts';

export interface SurveyedPosition {
  lat: number;
  lon: number;
  accuracyM: number;
  maxDriftM: number;
}

export interface GatewayMoved {
  measuredM: number;
  requiredM: number;
  fix: { lat: number; lon: number; accuracyM: number };
}

/** A host clock within this of GNSS time counts as synchronised. */
const SYNC_WITHIN_MS = 500;
const OFFSETS_KEPT = 16;

export class GatewayFix {
  private fix: { lat: number; lon: number; accuracyM: number; t: number } | undefined;
  private offsets: { t: number; ms: number }[] = [];
  private away = false;

  constructor(
    private readonly surveyed: SurveyedPosition | undefined,
    private readonly freshMs = 10_000,
  ) {}

  /** Takes a GNSS reading; returns the excursion when this fix first places the gateway off its surveyed position. */
  observe(r: Reading): GatewayMoved | undefined {
    const v = r.value as { lat?: unknown; lon?: unknown; gnssTime?: unknown; gnssTimeStatus?: unknown } | undefined;
    if (r.modality !== 'gnss' || !r.quality.ok || !v || typeof v.lat !== 'number' || typeof v.lon !== 'number') return undefined;
    const accuracyM = r.quality.accuracyM ?? (r.quality.hdop !== undefined ? r.quality.hdop * 5 : 25);
    this.fix = { lat: v.lat, lon: v.lon, accuracyM, t: r.t };
    if (typeof v.gnssTime === 'number' && v.gnssTimeStatus === 'ok') {
      this.offsets.push({ t: r.t, ms: r.t - v.gnssTime });
      if (this.offsets.length > OFFSETS_KEPT) this.offsets.shift();
    }
    if (!this.surveyed) return undefined;
    const d = distanceM(this.surveyed, { lat: v.lat, lon: v.lon });
    const required = this.surveyed.maxDriftM + this.surveyed.accuracyM + accuracyM;
    if (d <= required) {
      this.away = false;
      return undefined;
    }
    if (this.away) return undefined;
    this.away = true;
    return { measuredM: Math.round(d), requiredM: Math.round(required), fix: { lat: v.lat, lon: v.lon, accuracyM } };
  }

  location(now: number): Location | undefined {
    if (this.fix && now - this.fix.t <= this.freshMs) return { lat: this.fix.lat, lon: this.fix.lon, accuracyM: this.fix.accuracyM, t: this.fix.t };
    if (this.surveyed) return { lat: this.surveyed.lat, lon: this.surveyed.lon, accuracyM: this.surveyed.accuracyM, t: now };
    return undefined;
  }

  /** `host` unless a fresh GNSS time measurement is held. */
  timeQuality(now: number, host: TimeQuality): TimeQuality {
    const recent = this.offsets.filter((o) => now - o.t <= this.freshMs);
    if (recent.length === 0) return host;
    const err = Math.min(...recent.map((o) => Math.abs(o.ms)));
    return { src: 'gnss', sync: err <= SYNC_WITHIN_MS, errMs: Math.max(1, Math.round(err)) };
  }
}

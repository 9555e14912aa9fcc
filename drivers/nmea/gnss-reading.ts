import type { Reading, ReadingQuality } from '../../core/reading.ts';
import type { FixMode, GnssFix } from './fix-accumulator.ts';
import type { GnssTimeStatus } from './gnss-time.ts';

/** The value of a Reading with modality `gnss`, shared by the NMEA serial and gpsd sources. */
export interface GnssValue {
  lat: number;
  lon: number;
  /** Altitude above mean sea level, metres. */
  alt?: number;
  speedMps?: number;
  trackDeg?: number;
  fixMode: FixMode;
  /** GNSS time (ms since the epoch) after the week-rollover check; see `gnssTimeStatus` before trusting it. */
  gnssTime?: number;
  gnssTimeStatus?: GnssTimeStatus;
}

export type GnssReading = Reading<GnssValue>;

/**
 * Turns an accumulated fix into a Reading; undefined when the epoch had no position at all.
 * A fix with implausible values (plausibility.ts) is flagged, not trusted: quality.ok is false
 * and the status names them (`implausible:speedMps,altMslM`); the values themselves are absent.
 */
export function gnssReadingFromFix(source: string, t: number, fix: GnssFix): GnssReading | undefined {
  if (fix.lat === undefined || fix.lon === undefined) return undefined;
  const value: GnssValue = { lat: fix.lat, lon: fix.lon, fixMode: fix.fixMode };
  if (fix.altMslM !== undefined) value.alt = fix.altMslM;
  if (fix.speedMps !== undefined) value.speedMps = fix.speedMps;
  if (fix.trackDeg !== undefined) value.trackDeg = fix.trackDeg;
  if (fix.gnssTime !== undefined) {
    value.gnssTime = fix.gnssTime.ms;
    value.gnssTimeStatus = fix.gnssTime.status;
  }
  const status = [fix.fixMode, fix.fixQuality ?? 'unknown-quality', `accuracy:${fix.accuracySource}`];
  if (fix.implausible.length > 0) status.push(`implausible:${fix.implausible.map((i) => i.quantity).join(',')}`);
  const quality: ReadingQuality = { ok: fix.valid && fix.implausible.length === 0, status: status.join(' ') };
  if (fix.accuracyM !== undefined) quality.accuracyM = fix.accuracyM;
  if (fix.hdop !== undefined) quality.hdop = fix.hdop;
  return { source, modality: 'gnss', t, value, quality };
}

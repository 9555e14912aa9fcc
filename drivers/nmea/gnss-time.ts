/**
 * GNSS time sanity. GPS broadcasts a 10-bit week number (IS-GPS-200 §20.3.3.3.1.1), so a
 * receiver whose firmware pivot date has passed reports dates exactly 1024 weeks (7168 days)
 * early; the 2019-04-06 rollover caught many. A date from the receiver is never believed
 * blindly: it is compared with the host clock (injected), corrected by whole 1024-week steps
 * when that explains the difference, and otherwise flagged.
 */
export const GPS_WEEK_ROLLOVER_MS = 1024 * 7 * 86_400_000;

export type GnssTimeStatus =
  /** Within `maxSkewMs` of a plausible host clock. */
  | 'ok'
  /** Moved forward by `rolloverWeeks` (a multiple of 1024) to land within `maxSkewMs` of the host (or above the floor). */
  | 'rollover-corrected'
  /** Host clock below `floorMs` (not yet synchronised): GNSS time was only checked against the floor. */
  | 'unverified-host'
  /** Disagrees with the host by more than `maxSkewMs` and no 1024-week step explains it. Do not believe it. */
  | 'implausible';

export interface GnssTimeCheck {
  /** The time to use (corrected when status is rollover-corrected), ms since the Unix epoch. */
  ms: number;
  /** The time as the receiver reported it. */
  reportedMs: number;
  status: GnssTimeStatus;
  /** Weeks added (0 or a multiple of 1024). */
  rolloverWeeks: number;
  /** Corrected GNSS time minus host time, ms. */
  skewMs: number;
}

export interface GnssTimeCheckOptions {
  /** Largest |GNSS − host| accepted. Default 1 day: a host without NTP drifts, a rollover is 19.6 years. */
  maxSkewMs?: number;
  /**
   * No real time can be earlier than this (ms since the epoch); a host clock below it is
   * unsynchronised (a Pi without RTC boots in 1970 or at its last saved time). Default 2024-01-01.
   */
  floorMs?: number;
}

export const DEFAULT_TIME_FLOOR_MS = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;

export function checkGnssTime(reportedMs: number, hostMs: number, options: GnssTimeCheckOptions = {}): GnssTimeCheck {
  const maxSkew = options.maxSkewMs ?? DAY_MS;
  const floor = options.floorMs ?? DEFAULT_TIME_FLOOR_MS;
  const result = (ms: number, status: GnssTimeStatus, steps: number): GnssTimeCheck => ({
    ms,
    reportedMs,
    status,
    rolloverWeeks: steps * 1024,
    skewMs: ms - hostMs,
  });
  if (hostMs >= floor) {
    if (Math.abs(reportedMs - hostMs) <= maxSkew) return result(reportedMs, 'ok', 0);
    const steps = Math.round((hostMs - reportedMs) / GPS_WEEK_ROLLOVER_MS);
    if (steps >= 1 && steps <= 8) {
      const corrected = reportedMs + steps * GPS_WEEK_ROLLOVER_MS;
      if (Math.abs(corrected - hostMs) <= maxSkew) return result(corrected, 'rollover-corrected', steps);
    }
    return result(reportedMs, 'implausible', 0);
  }
  // The host cannot vouch for anything: only the floor can. A date below it is moved up by
  // whole rollover periods (as receivers with a pivot date do); above it, it is reported unverified.
  if (reportedMs >= floor) return result(reportedMs, 'unverified-host', 0);
  const steps = Math.ceil((floor - reportedMs) / GPS_WEEK_ROLLOVER_MS);
  if (steps <= 8) return result(reportedMs + steps * GPS_WEEK_ROLLOVER_MS, 'unverified-host', steps);
  return result(reportedMs, 'implausible', 0);
}

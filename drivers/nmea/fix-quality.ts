/**
 * GGA field 6, "GPS quality indicator" (NMEA 0183 v4.11 §8.3.40 GGA): what kind of solution
 * the receiver has. 0 means no fix; 6 (dead reckoning), 7 (manual) and 8 (simulator) are not
 * measurements of where the antenna is, so a source must not treat them as a position fix.
 */
export type FixQuality =
  | 'invalid'
  | 'gps'
  | 'dgps'
  | 'pps'
  | 'rtk-fixed'
  | 'rtk-float'
  | 'estimated'
  | 'manual'
  | 'simulator';

const BY_CODE: readonly FixQuality[] = ['invalid', 'gps', 'dgps', 'pps', 'rtk-fixed', 'rtk-float', 'estimated', 'manual', 'simulator'];

export function fixQualityFromCode(code: number): FixQuality | undefined {
  return BY_CODE[code];
}

/** True for qualities that are a measured position (1 to 5). */
export function isMeasuredFix(q: FixQuality | undefined): boolean {
  return q === 'gps' || q === 'dgps' || q === 'pps' || q === 'rtk-fixed' || q === 'rtk-float';
}

/**
 * Mode indicator (RMC/GLL/VTG last field, GNS per-system characters; NMEA 0183 v2.3+):
 * A autonomous, D differential, E estimated, F float RTK, M manual, N not valid, P precise,
 * R real-time kinematic, S simulator.
 */
export type ModeIndicator = 'A' | 'D' | 'E' | 'F' | 'M' | 'N' | 'P' | 'R' | 'S';
export const MODE_INDICATORS: readonly ModeIndicator[] = ['A', 'D', 'E', 'F', 'M', 'N', 'P', 'R', 'S'];

/** Fix quality implied by a mode indicator, for sentences (GNS) that carry no quality field. */
export function fixQualityFromMode(m: ModeIndicator): FixQuality {
  switch (m) {
    case 'A':
      return 'gps';
    case 'D':
      return 'dgps';
    case 'P':
      return 'pps';
    case 'R':
      return 'rtk-fixed';
    case 'F':
      return 'rtk-float';
    case 'E':
      return 'estimated';
    case 'M':
      return 'manual';
    case 'S':
      return 'simulator';
    case 'N':
      return 'invalid';
  }
}

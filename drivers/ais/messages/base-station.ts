import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const BASE_STATION_MIN_BITS = 168;

/**
 * Types 4 (base station report) and 11 (UTC/date response) share one layout (ITU-R M.1371-5
 * §3.3.8.2.3, Table 48). The UTC fields come out as gpsd's `timestamp`
 * "YYYY-MM-DDTHH:MM:SSZ", with the not-available codes (year 0, month 0, day 0, hour 24,
 * minute 60, second 60) printed as they are. Raw units.
 */
export function decodeBaseStation(b: AisBits): AisFields {
  const two = (n: number): string => String(n).padStart(2, '0');
  const timestamp = `${String(b.u(38, 14)).padStart(4, '0')}-${two(b.u(52, 4))}-${two(b.u(56, 5))}T${two(b.u(61, 5))}:${two(b.u(66, 6))}:${two(b.u(72, 6))}Z`;
  return {
    timestamp,
    accuracy: b.flag(78),
    lon: b.s(79, 28),
    lat: b.s(107, 27),
    epfd: b.u(134, 4),
    raim: b.flag(148),
    radio: b.u(149, 19),
  };
}

import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const STATIC_VOYAGE_MIN_BITS = 420;

/** Type 5: static and voyage related data (ITU-R M.1371-5 §3.3.8.2.3, Table 52). Raw units. */
export function decodeStaticVoyage(b: AisBits): AisFields {
  const month = b.u(274, 4);
  const day = b.u(278, 5);
  const hour = b.u(283, 5);
  const minute = b.u(288, 6);
  return {
    ais_version: b.u(38, 2),
    imo: b.u(40, 30),
    callsign: b.text(70, 7),
    shipname: b.text(112, 20),
    shiptype: b.u(232, 8),
    to_bow: b.u(240, 9),
    to_stern: b.u(249, 9),
    to_port: b.u(258, 6),
    to_starboard: b.u(264, 6),
    epfd: b.u(270, 4),
    // ETA has no year; gpsd renders it as MM-DDTHH:MMZ, 0 / 24 / 60 meaning not available (Table 52).
    eta: `${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}Z`,
    draught: b.u(294, 8),
    destination: b.text(302, 20),
    dte: b.u(422, 1),
  };
}

function p2(n: number): string {
  return String(n).padStart(2, '0');
}

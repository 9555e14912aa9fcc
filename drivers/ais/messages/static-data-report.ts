import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const STATIC_PART_A_MIN_BITS = 160;
export const STATIC_PART_B_MIN_BITS = 162;

/** ITU-R M.585 Annex 2: auxiliary craft of a parent ship use MMSIs 98MIDXXXX. */
function isAuxiliaryCraft(mmsi: number): boolean {
  return Math.floor(mmsi / 10_000_000) === 98;
}

/** Type 24 part A: name (ITU-R M.1371-5 §3.3.8.2.16, Table 73). */
export function decodeStaticPartA(b: AisBits): AisFields {
  return { partno: 0, shipname: b.text(40, 20) };
}

/**
 * Type 24 part B (Table 74). The vendor id is 42 bits: M.1371-4 made it 7 characters,
 * M.1371-5 splits it into a 3-character manufacturer id, a 4-bit model and a 20-bit
 * serial number. Like gpsd we report both readings of the same bits.
 */
export function decodeStaticPartB(b: AisBits, mmsi: number): AisFields {
  const f: AisFields = {
    partno: 1,
    shiptype: b.u(40, 8),
    vendorid: b.text(48, 7),
    model: b.u(66, 4),
    serial: b.u(70, 20),
    callsign: b.text(90, 7),
  };
  if (isAuxiliaryCraft(mmsi)) {
    f.mothership_mmsi = b.u(132, 30);
  } else {
    f.to_bow = b.u(132, 9);
    f.to_stern = b.u(141, 9);
    f.to_port = b.u(150, 6);
    f.to_starboard = b.u(156, 6);
  }
  return f;
}

import type { AisBits } from '../../bits.ts';
import type { AisFields } from '../types.ts';
import { BitCursor } from './layout.ts';

/**
 * International applications (DAC 1) in addressed message 6: IMO SN/Circ.236 Annex 2 (FI 12,
 * 14) and SN.1/Circ.289 (FI 18, 30, 32). Raw units: positions in 1/1000 minute, current speed
 * in 1/10 knot; not-available codes pass through. Fields past the end of a short message read
 * as zeros (gpsd 3.22 decodes these at any length, and so do we).
 */

/** FI 12, dangerous cargo indication (SN/Circ.236): ports as UN/LOCODEs, departure and ETA as "MM-DDTHH:MMZ". */
export function decodeDangerousCargo(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    lastport: c.text(5),
    departure: c.monthDayTime(),
    nextport: c.text(5),
    eta: c.monthDayTime(),
    dangerous: c.text(20),
    imdcat: c.text(4),
    unid: c.u(13),
    amount: c.u(10),
    unit: c.u(2),
  };
}

/** FI 18, clearance time to enter port (SN.1/Circ.289): linkage id, clearance time, port and berth, destination, position. */
export function decodeClearanceTime(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    linkage: c.u(10),
    arrival: c.monthDayTime(),
    portname: c.text(20),
    destination: c.text(5),
    lon: c.s(25),
    lat: c.s(24),
  };
}

/** FI 30, text description (SN.1/Circ.289): linkage id, then 6-bit text filling the rest of the message. */
export function decodeTextDescription(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  const linkage = c.u(10);
  return { linkage, text: c.text(Math.max(0, Math.floor((b.length - c.at) / 6))) };
}

/** Tidal window widths: FI 14 (SN/Circ.236) 93 bits, FI 32 (SN.1/Circ.289) 88 bits. */
const FI14_WINDOW_BITS = 93;
const FI32_WINDOW_BITS = 88;

/** FI 14: latitude (27 bits, 1/1000 min) before longitude (28), current speed 7 bits. */
export function decodeTidalWindowFi14(b: AisBits, start: number): AisFields {
  return tidalWindows(b, start, FI14_WINDOW_BITS, (c) => {
    const lat = c.s(27);
    const lon = c.s(28);
    return { lon, lat, ...times(c), cdir: c.u(9), cspeed: c.u(7) };
  });
}

/** FI 32: longitude (25 bits) before latitude (24), current speed 8 bits. */
export function decodeTidalWindowFi32(b: AisBits, start: number): AisFields {
  return tidalWindows(b, start, FI32_WINDOW_BITS, (c) => {
    const lon = c.s(25);
    const lat = c.s(24);
    return { lon, lat, ...times(c), cdir: c.u(9), cspeed: c.u(8) };
  });
}

function times(c: BitCursor): AisFields {
  return { from_hour: c.u(5), from_min: c.u(6), to_hour: c.u(5), to_min: c.u(6) };
}

/**
 * Month and day, then as many windows as the message holds. A window is counted once its
 * first bit is present (the rest of a cut-off window reads as zeros), which is how gpsd 3.22
 * counts them; at most 1008 bits, so at most 11 windows.
 */
function tidalWindows(b: AisBits, start: number, width: number, window: (c: BitCursor) => AisFields): AisFields {
  const c = new BitCursor(b, start);
  const month = c.u(4);
  const day = c.u(5);
  const first = c.at;
  const count = b.length > first ? Math.floor((b.length - first - 1) / width) + 1 : 0;
  const tidals: AisFields[] = [];
  for (let i = 0; i < count; i++) tidals.push(window(new BitCursor(b, first + i * width)));
  return { month, day, tidals };
}

/** Tidal window positions in degrees and current speed in knots, as gpsd scales them. */
export function scaleTidalWindow(f: AisFields): AisFields {
  const tidals = (f.tidals as AisFields[]).map((w) => ({ ...w, lon: (w.lon as number) / 60_000, lat: (w.lat as number) / 60_000, cspeed: (w.cspeed as number) / 10 }));
  return { ...f, tidals };
}

/** Clearance-time position in degrees, as gpsd scales it. */
export function scaleClearanceTime(f: AisFields): AisFields {
  return { ...f, lon: (f.lon as number) / 60_000, lat: (f.lat as number) / 60_000 };
}

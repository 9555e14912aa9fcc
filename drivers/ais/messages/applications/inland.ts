import type { AisBits } from '../../bits.ts';
import type { AisFields } from '../types.ts';
import { BitCursor } from './layout.ts';

/**
 * Inland AIS applications (DAC 200, CCNR "Vessel Tracking and Tracing Standard for Inland
 * Navigation"). Both occupy exactly one slot, 168 bits; gpsd 3.22 decodes them only at that
 * length and gives any other length as raw data, and so do we.
 */
export const INLAND_MESSAGE_BITS = 168;

/**
 * FI 10 in message 8, inland ship static and voyage related data: the European vessel
 * identification number (ENI, 8 characters), length and beam in 1/10 m, the ERI ship type
 * code, hazardous cargo (blue cones), draught in 1/100 m, loaded/unloaded, and the quality
 * flags of speed, course and heading (1 = high).
 */
export function decodeInlandStatic(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    vin: c.text(8),
    length: c.u(13),
    beam: c.u(10),
    shiptype: c.u(14),
    hazard: c.u(3),
    draught: c.u(11),
    loaded: c.u(2),
    speed_q: c.flag(),
    course_q: c.flag(),
    heading_q: c.flag(),
  };
}

/** FI 55 in message 6, number of persons on board: crew, passengers and shipboard personnel (not available = the field's largest value). */
export function decodeInlandPersonsOnBoard(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return { crew: c.u(8), passengers: c.u(13), personnel: c.u(8) };
}

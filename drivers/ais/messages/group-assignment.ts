import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

/** ITU-R M.1371-5 Table 76: the message is 160 bits. */
export const GROUP_ASSIGNMENT_MIN_BITS = 160;

/**
 * Type 23, group assignment command (ITU-R M.1371-5 Table 76): a base station sets the
 * transmit/receive mode, reporting interval and quiet time of the mobiles of one station type
 * and ship type inside a rectangle. Corners in 1/10 minute: `ne_*` the upper right
 * (north-east), `sw_*` the lower left (south-west). `txrx` (Tx/Rx mode, 0-3) is not printed by
 * gpsd 3.22; it is part of the message, so it is kept here.
 */
export function decodeGroupAssignment(b: AisBits): AisFields {
  return {
    ne_lon: b.s(40, 18),
    ne_lat: b.s(58, 17),
    sw_lon: b.s(75, 18),
    sw_lat: b.s(93, 17),
    stationtype: b.u(110, 4),
    shiptype: b.u(114, 8),
    txrx: b.u(144, 2),
    interval: b.u(146, 4),
    quiet: b.u(150, 4),
  };
}

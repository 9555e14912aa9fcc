import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const POSITION_REPORT_B_MIN_BITS = 168;
export const EXTENDED_POSITION_REPORT_B_MIN_BITS = 308;

/** Fields shared by types 18 and 19 up to the time stamp (ITU-R M.1371-5 Tables 70 and 71). */
function commonB(b: AisBits): AisFields {
  return {
    reserved: b.u(38, 8),
    speed: b.u(46, 10),
    accuracy: b.flag(56),
    lon: b.s(57, 28),
    lat: b.s(85, 27),
    course: b.u(112, 12),
    heading: b.u(124, 9),
    second: b.u(133, 6),
  };
}

/** Type 18: standard Class B position report (ITU-R M.1371-5 §3.3.8.2.14, Table 70). Raw units. */
export function decodePositionReportB(b: AisBits): AisFields {
  return {
    ...commonB(b),
    regional: b.u(139, 2),
    cs: b.flag(141),
    display: b.flag(142),
    dsc: b.flag(143),
    band: b.flag(144),
    msg22: b.flag(145),
    assigned: b.flag(146),
    raim: b.flag(147),
    radio: b.u(148, 20),
  };
}

/** Type 19: extended Class B position report (ITU-R M.1371-5 §3.3.8.2.15, Table 71). Raw units. */
export function decodeExtendedPositionReportB(b: AisBits): AisFields {
  return {
    ...commonB(b),
    regional: b.u(139, 4),
    shipname: b.text(143, 20),
    shiptype: b.u(263, 8),
    to_bow: b.u(271, 9),
    to_stern: b.u(280, 9),
    to_port: b.u(289, 6),
    to_starboard: b.u(295, 6),
    epfd: b.u(301, 4),
    raim: b.flag(305),
    dte: b.u(306, 1),
    assigned: b.flag(307),
  };
}

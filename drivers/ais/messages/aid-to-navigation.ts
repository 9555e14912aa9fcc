import type { AisBits } from '../bits.ts';
import type { AisFields } from './types.ts';

export const AID_TO_NAVIGATION_MIN_BITS = 272;

/**
 * Type 21, aid-to-navigation report (ITU-R M.1371-5 §3.3.8.2.17, Table 75). The name is 20
 * characters; when all 20 are used, the "name extension" after bit 272 continues it (up to
 * 14 more characters). Raw units.
 */
export function decodeAidToNavigation(b: AisBits): AisFields {
  let name = b.text(43, 20, { trimSpaces: false });
  if (name.length === 20 && b.length > 272) name += b.text(272, Math.floor((b.length - 272) / 6));
  return {
    aid_type: b.u(38, 5),
    name: name.replace(/ +$/, ''),
    accuracy: b.flag(163),
    lon: b.s(164, 28),
    lat: b.s(192, 27),
    to_bow: b.u(219, 9),
    to_stern: b.u(228, 9),
    to_port: b.u(237, 6),
    to_starboard: b.u(243, 6),
    epfd: b.u(249, 4),
    second: b.u(253, 6),
    off_position: b.flag(259),
    regional: b.u(260, 8),
    raim: b.flag(268),
    virtual_aid: b.flag(269),
    assigned: b.flag(270),
  };
}

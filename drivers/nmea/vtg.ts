import type { NmeaEnvelope } from './envelope.ts';
import { assign, KNOT_MPS, numIn, oneOf, type FieldIssues } from './fields.ts';
import { MODE_INDICATORS, type ModeIndicator } from './fix-quality.ts';

/** VTG, "Course over ground and ground speed" (NMEA 0183 v4.11 §8.3.92). */
export interface VtgSentence {
  sentence: 'VTG';
  talker: string;
  trackDeg?: number;
  magneticTrackDeg?: number;
  speedMps?: number;
  mode?: ModeIndicator;
}

export const VTG_MIN_FIELDS = 4;

export function decodeVtg(e: NmeaEnvelope, m: FieldIssues): VtgSentence {
  const f = e.fields;
  const out: VtgSentence = { sentence: 'VTG', talker: e.talker };
  if (f[1] === 'T' || f.length >= 8) {
    // v2+ layout: course,T,course,M,knots,N,km/h,K[,mode]
    assign(out, 'trackDeg', m.minor(() => numIn(f[0], 'course', -360, 360)));
    assign(out, 'magneticTrackDeg', m.minor(() => numIn(f[2], 'magnetic course', -360, 360)));
    const kn = m.minor(() => numIn(f[4], 'speed knots', 0, 1e5));
    const kmh = m.minor(() => numIn(f[6], 'speed km/h', 0, 2e5));
    if (kn !== undefined) out.speedMps = kn * KNOT_MPS;
    else if (kmh !== undefined) out.speedMps = kmh / 3.6;
    assign(out, 'mode', m.minor(() => oneOf(f[8], 'mode', MODE_INDICATORS)));
  } else {
    // NMEA 0183 v1.5 layout without unit letters: course true, course magnetic, knots, km/h.
    assign(out, 'trackDeg', m.minor(() => numIn(f[0], 'course', -360, 360)));
    assign(out, 'magneticTrackDeg', m.minor(() => numIn(f[1], 'magnetic course', -360, 360)));
    const kn = m.minor(() => numIn(f[2], 'speed knots', 0, 1e5));
    if (kn !== undefined) out.speedMps = kn * KNOT_MPS;
  }
  return out;
}

import type { NmeaEnvelope } from './envelope.ts';
import { assign, numIn, timeOfDay, type FieldIssues } from './fields.ts';

/** GST, "GNSS pseudorange noise statistics" (NMEA 0183 v4.11 §8.3.46): 1-sigma errors in metres. */
export interface GstSentence {
  sentence: 'GST';
  talker: string;
  timeOfDayMs?: number;
  rangeRmsM?: number;
  majorM?: number;
  minorM?: number;
  orientDeg?: number;
  latSigmaM?: number;
  lonSigmaM?: number;
  altSigmaM?: number;
}

export const GST_MIN_FIELDS = 8;

export function decodeGst(e: NmeaEnvelope, m: FieldIssues): GstSentence {
  const f = e.fields;
  const out: GstSentence = { sentence: 'GST', talker: e.talker };
  assign(out, 'timeOfDayMs', timeOfDay(f[0]));
  assign(out, 'rangeRmsM', m.minor(() => numIn(f[1], 'rms', 0, 1e7)));
  assign(out, 'majorM', m.minor(() => numIn(f[2], 'major', 0, 1e7)));
  assign(out, 'minorM', m.minor(() => numIn(f[3], 'minor', 0, 1e7)));
  assign(out, 'orientDeg', m.minor(() => numIn(f[4], 'orientation', -360, 360)));
  assign(out, 'latSigmaM', m.minor(() => numIn(f[5], 'lat sigma', 0, 1e7)));
  assign(out, 'lonSigmaM', m.minor(() => numIn(f[6], 'lon sigma', 0, 1e7)));
  assign(out, 'altSigmaM', m.minor(() => numIn(f[7], 'alt sigma', 0, 1e7)));
  return out;
}

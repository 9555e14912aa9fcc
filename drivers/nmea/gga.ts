import type { NmeaEnvelope } from './envelope.ts';
import { FieldError, int, type FieldIssues } from './fields.ts';
import { decodeFixData, type FixData } from './fix-data.ts';
import { fixQualityFromCode, type FixQuality } from './fix-quality.ts';

/** GGA, "Global positioning system fix data" (NMEA 0183 v4.11 §8.3.40). */
export interface GgaSentence extends FixData {
  sentence: 'GGA';
  talker: string;
  quality: FixQuality;
  qualityCode: number;
}

// Through the altitude field; trailing geoid, DGPS age and station fields are often omitted by older receivers.
export const GGA_MIN_FIELDS = 9;

export function decodeGga(e: NmeaEnvelope, m: FieldIssues): GgaSentence {
  const f = e.fields;
  const qualityCode = int(f[5], 'quality') ?? 0;
  const quality = fixQualityFromCode(qualityCode);
  if (quality === undefined) throw new FieldError('quality', f[5] ?? '');
  // Fields 9 and 11 are the units (M) of altitude and separation.
  return { sentence: 'GGA', talker: e.talker, quality, qualityCode, ...decodeFixData(f, m, { geoidSep: 10, dgpsAge: 12, dgpsStation: 13 }) };
}

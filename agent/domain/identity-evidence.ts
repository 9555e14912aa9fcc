/**
 * Identity evidence from the readings of the sources a place declares as naming units
 * (agent/config/place-profile.ts identitySources): an AIS receiver names vessels by MMSI with
 * their reported position, an RFID reader names tags it reads within its range. Pure.
 */
import type { Modality, Reading } from '../../core/reading.ts';
import { DEFAULT_RELIABILITY, distanceM, readingConfidence } from './evidence.ts';
import type { PresenceEvidence } from './presence.ts';

export type IdentityScheme = 'mmsi' | 'rfid';

/** Read range assumed for a tag reader that does not state one (a 125 kHz reader reads at centimetres). */
const DEFAULT_TAG_RANGE_M = 5;
/** ITU-R M.1371-5 Table 46: position accuracy flag 0 means worse than 10 m. */
const DEFAULT_AIS_ACCURACY_M = 10;

export function identityEvidence(
  r: Reading,
  scheme: IdentityScheme,
  o: { anchor?: { lat: number; lon: number }; reliability: Partial<Record<Modality, number>>; digest: string },
): PresenceEvidence | undefined {
  const v = r.value as Record<string, unknown> | undefined;
  if (!v || typeof v !== 'object' || !r.quality.ok) return undefined;
  const conf = readingConfidence(r, r.t, Infinity, o.reliability[r.modality] ?? DEFAULT_RELIABILITY[r.modality]);
  if (scheme === 'mmsi') {
    if (typeof v.mmsi !== 'number' || typeof v.lat !== 'number' || typeof v.lon !== 'number' || !o.anchor) return undefined;
    const position = { lat: v.lat, lon: v.lon };
    // The distance bound adds the position's stated accuracy: the unit is at most this far.
    const d = distanceM(position, o.anchor) + (r.quality.accuracyM ?? DEFAULT_AIS_ACCURACY_M);
    return { unit: ['mmsi', String(v.mmsi)], t: r.t, distanceM: d, source: r.source, modality: r.modality, conf, digest: o.digest, position };
  }
  if (typeof v.tag !== 'string') return undefined;
  // A closing sighting speaks for when the tag was last read, not for when it went quiet.
  const closed = v.state === 'closed';
  const t = closed && typeof v.lastSeen === 'number' ? v.lastSeen : r.t;
  const range = typeof v.rangeM === 'number' ? v.rangeM : DEFAULT_TAG_RANGE_M;
  return { unit: ['rfid', v.tag], t, distanceM: range, source: r.source, modality: r.modality, conf, digest: o.digest, open: !closed };
}

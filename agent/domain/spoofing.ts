/**
 * Spoofing signals on identity evidence (DESIGN.md, "Presence and settlement windows"): a
 * vessel controls its own AIS transponder and a tag can be cloned, so the agent watches for
 * what the real thing cannot do. Pure; bounded memory whatever the radio hears.
 *
 * - `ais-jump`: two positions of one MMSI imply a speed above `maxSpeedMps` (a real hull
 *   cannot cover 5 km in a minute);
 * - `tag-two-readers`: one tag read by a second reader while the first still holds it open,
 *   or within `conflictMs` of the first's last read.
 * The third signal, identity with no physical evidence, is judged by the presence tracker,
 * which knows whether the place has a physical sensor.
 */
import { distanceM } from './evidence.ts';

export type SpoofFlag = 'ais-jump' | 'tag-two-readers' | 'no-physical-evidence';

const MAX_TRACKED = 4096;

export class SpoofingWatch {
  private readonly positions = new Map<string, { lat: number; lon: number; t: number }>();
  private readonly tags = new Map<string, { source: string; t: number; open: boolean }>();

  constructor(
    private readonly maxSpeedMps: number,
    private readonly conflictMs: number,
  ) {}

  /** The flags this one piece of evidence raises. */
  check(unitKey: string, t: number, source: string, position?: { lat: number; lon: number }, sightingOpen = true): SpoofFlag[] {
    const flags: SpoofFlag[] = [];
    if (position) {
      const prev = this.positions.get(unitKey);
      // One second is the shortest interval AIS reports at (ITU-R M.1371-5 Table 1: 2 s at speed).
      if (prev && distanceM(prev, position) / (Math.max(1000, Math.abs(t - prev.t)) / 1000) > this.maxSpeedMps) flags.push('ais-jump');
      remember(this.positions, unitKey, { ...position, t });
    } else {
      const prev = this.tags.get(unitKey);
      if (prev && prev.source !== source) {
        if (sightingOpen && (prev.open || Math.abs(t - prev.t) <= this.conflictMs)) flags.push('tag-two-readers');
        // The other reader's sighting stays the one on record until it closes.
        if (prev.open) return flags;
      }
      remember(this.tags, unitKey, { source, t, open: sightingOpen });
    }
    return flags;
  }
}

function remember<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > MAX_TRACKED) m.delete(m.keys().next().value!);
}

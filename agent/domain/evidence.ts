/**
 * The value-confidence rule (DESIGN.md, "Evidence and confidence"), pure and clock-free.
 *
 * For one reading:  c = reliability(modality) × quality × freshness
 *   quality   = 0 when the reading flags itself not ok; otherwise 1, reduced for a stated
 *               horizontal accuracy worse than 10 m as 10 / accuracyM (a 50 m fix counts 0.2);
 *   freshness = 1 up to the source's freshness age, then halves every further freshness age.
 * For one dimension fed by several independent sources: sources that agree with the chosen
 * value combine by noisy-OR, 1 − Π(1 − cᵢ); dissent lowers it by the dissenters' noisy-OR,
 *   conf = agree × (1 − dissent / 2).
 * The chosen value is the one with the largest agreeing noisy-OR. Every dimension reports the
 * ids of the sources that fed it.
 */
import type { Modality, Reading } from '../../core/reading.ts';

export const DEFAULT_RELIABILITY: Record<Modality, number> = {
  gnss: 0.9,
  ais: 0.8,
  rfid: 0.95,
  range: 0.85,
  meter: 0.95,
  door: 0.95,
  mcu: 0.9,
};

export function readingConfidence(r: Reading, nowMs: number, freshnessMs: number, reliability = DEFAULT_RELIABILITY[r.modality]): number {
  if (!r.quality.ok) return 0;
  let quality = 1;
  if (r.quality.accuracyM !== undefined && r.quality.accuracyM > 10) quality = 10 / r.quality.accuracyM;
  const age = Math.max(0, nowMs - r.t);
  const freshness = age <= freshnessMs ? 1 : 0.5 ** ((age - freshnessMs) / freshnessMs);
  return clamp01(reliability * quality * freshness);
}

export interface Vote<V> {
  source: string;
  value: V;
  confidence: number;
}

export interface Dimension<V> {
  value: V;
  conf: number;
  sources: string[];
}

export function fuse<V>(votes: Vote<V>[], key: (v: V) => string = (v) => JSON.stringify(v)): Dimension<V> | undefined {
  const live = votes.filter((v) => v.confidence > 0);
  if (live.length === 0) return undefined;
  const groups = new Map<string, Vote<V>[]>();
  for (const v of live) groups.set(key(v.value), [...(groups.get(key(v.value)) ?? []), v]);
  let best: Vote<V>[] = [];
  let bestScore = -1;
  for (const g of groups.values()) {
    const s = noisyOr(g.map((v) => v.confidence));
    if (s > bestScore) {
      best = g;
      bestScore = s;
    }
  }
  const dissent = noisyOr(live.filter((v) => !best.includes(v)).map((v) => v.confidence));
  return { value: best[0]!.value, conf: round3(bestScore * (1 - dissent / 2)), sources: live.map((v) => v.source).sort() };
}

export function noisyOr(cs: number[]): number {
  return 1 - cs.reduce((p, c) => p * (1 - clamp01(c)), 1);
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Great-circle distance in metres (haversine on a sphere of the IUGG mean radius 6371008.8 m). */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

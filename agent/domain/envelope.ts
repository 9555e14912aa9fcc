/**
 * The place capability envelope (DESIGN.md, "Envelope body"): what the place can take right
 * now, each declared dimension with its value, unit, value-confidence, the sources that fed
 * it and the time of the newest reading behind it, and the interval the envelope is valid for.
 * Computed from the latest reading per (source, point) by the rules of the place profile
 * (place-profile.ts) and the confidence rule of evidence.ts. Pure: time is passed in.
 */
import type { Reading } from '../../core/reading.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import { CborFloat } from '../encoding/cbor-value.ts';
import { DEFAULT_RELIABILITY, distanceM, fuse, readingConfidence, type Vote } from './evidence.ts';
import { convertUnit, feedMatches, measurementOf, pointOf, type DimensionRule, type DimensionSpec, type FeedSpec, type PlaceProfile } from './place-profile.ts';

export interface EnvelopeDimension {
  value: number | boolean;
  unit: string;
  conf: number;
  sources: string[];
  /** ms: the newest reading the value rests on (the computation time for a configured constant). */
  t: number;
}

/** The place's occupancy from its physical sensors, and the reading presence cites for it. */
export interface PhysicalOccupancy extends EnvelopeDimension {
  /**
   * The reading behind `t`: the newest that cast a live vote (for a configured constant, the
   * reading that prompted the question). Presence cites it as its physical evidence, so a meter
   * reading that did not vote (silent below its threshold) is never cited for an arrival a plug
   * contact decided.
   */
  decidedBy: Reading;
}

export interface PlaceEnvelope {
  dims: Record<string, EnvelopeDimension>;
  /** [from_ms, to_ms]: until the next period, or until the first dimension's readings stop being fresh. */
  valid: [number, number];
}

/** A feed's vote, with the reading it rests on and the time it speaks for. */
type FeedVote = Vote<number | boolean> & { t: number; reading: Reading };

/** Points kept per source: an AIS receiver hears hundreds of vessels; the oldest go first. */
const MAX_POINTS_PER_SOURCE = 2048;

export class EnvelopeBuilder {
  private readonly latest = new Map<string, Map<string, Reading>>();
  /** Hysteresis state of threshold and range rules, per dimension, source and point. */
  private readonly latched = new Map<string, boolean>();
  private readonly fedSources: Set<string>;

  constructor(
    readonly profile: PlaceProfile,
    private readonly periodMs: number,
  ) {
    this.fedSources = new Set(profile.dims.flatMap((d) => d.feeds.map((f) => f.source)));
  }

  /**
   * The `occupied` dimension's physical feeds (range, contact, meter: not the identity rules),
   * which corroborate presence (DESIGN.md): empty where the place has no physical sensor.
   */
  get physicalFeeds(): FeedSpec[] {
    const spec = this.profile.dims.find((d) => d.id === 'occupied');
    return (spec?.feeds ?? []).filter((f) => (f.rule ?? spec?.rule)?.kind !== 'units-present');
  }

  /**
   * The place's occupancy from its physical sensors alone, at the time of `trigger` (the physical
   * reading that prompted the question), which stands as the evidence only where no vote decided
   * (a configured constant).
   */
  physicalOccupancy(trigger: Reading): PhysicalOccupancy | undefined {
    const spec = this.profile.dims.find((d) => d.id === 'occupied');
    const feeds = this.physicalFeeds;
    if (!spec || !feeds.length) return undefined;
    if (spec.fixed !== undefined || spec.rule?.kind === 'free-count') {
      const d = this.dimension(spec, trigger.t, feeds);
      return d && { ...d, decidedBy: trigger };
    }
    const fused = this.fusedVotes(spec, trigger.t, feeds);
    return fused && { ...fused.dim, decidedBy: fused.newest };
  }

  /** Keeps the reading if a declared dimension reads its source; true when it did. */
  ingest(r: Reading): boolean {
    if (!this.fedSources.has(r.source)) return false;
    let points = this.latest.get(r.source);
    if (!points) this.latest.set(r.source, (points = new Map()));
    const p = pointOf(r);
    points.delete(p);
    points.set(p, r);
    if (points.size > MAX_POINTS_PER_SOURCE) points.delete(points.keys().next().value!);
    return true;
  }

  compute(now: number): PlaceEnvelope {
    const dims: Record<string, EnvelopeDimension> = {};
    let validTo = now + this.periodMs;
    for (const spec of this.profile.dims) {
      const d = this.dimension(spec, now);
      if (!d) continue;
      dims[spec.id] = d;
      if (spec.fixed === undefined) validTo = Math.min(validTo, Math.max(now, d.t + Math.max(...spec.feeds.map((f) => f.freshMs ?? spec.freshMs))));
    }
    return { dims, valid: [now, validTo] };
  }

  /** One dimension from its feeds; undefined when no feed has a live reading. */
  dimension(spec: DimensionSpec, now: number, feeds: FeedSpec[] = spec.feeds): EnvelopeDimension | undefined {
    if (spec.fixed !== undefined) return { value: spec.fixed, unit: spec.unit, conf: 1, sources: ['config'], t: now };
    if (spec.rule?.kind === 'free-count') return this.freeCount(spec, feeds, now);
    return this.fusedVotes(spec, now, feeds)?.dim;
  }

  /** The feeds' votes fused, and the newest reading that cast a live one (the dimension's `t`). */
  private fusedVotes(spec: DimensionSpec, now: number, feeds: FeedSpec[]): { dim: EnvelopeDimension; newest: Reading } | undefined {
    const votes: FeedVote[] = [];
    for (const f of feeds) votes.push(...this.feedVotes(spec, f, f.rule ?? spec.rule ?? { kind: 'value' }, now));
    const fused = fuse(votes);
    if (!fused) return undefined;
    let newest: FeedVote | undefined;
    for (const v of votes) if (v.confidence > 0 && (newest === undefined || v.t > newest.t)) newest = v;
    return { dim: { value: fused.value, unit: spec.unit, conf: fused.conf, sources: [...new Set(fused.sources)], t: newest!.t }, newest: newest!.reading };
  }

  private confidence(r: Reading, now: number, freshMs: number): number {
    return readingConfidence(r, now, freshMs, this.profile.reliability[r.modality] ?? DEFAULT_RELIABILITY[r.modality]);
  }

  private feedVotes(spec: DimensionSpec, f: FeedSpec, rule: DimensionRule, now: number): FeedVote[] {
    if (rule.kind === 'units-present') return this.unitsPresent(spec, f, rule, now);
    const out: FeedVote[] = [];
    for (const [point, r] of this.latest.get(f.source) ?? []) {
      if (!feedMatches(f, r, point)) continue;
      const m = measurementOf(r);
      if (!m) continue;
      const value = this.apply(rule, m, spec, `${spec.id}|${f.source}|${point}`);
      if (value === undefined) continue;
      out.push({ source: r.source, value, confidence: this.confidence(r, now, f.freshMs ?? spec.freshMs), t: r.t, reading: r });
    }
    return out;
  }

  private apply(rule: DimensionRule, m: { value: number; unit: string }, spec: DimensionSpec, latchKey: string): number | boolean | undefined {
    switch (rule.kind) {
      case 'value': {
        const v = convertUnit(m.value, m.unit, spec.unit);
        return v === undefined ? undefined : round3(v * (rule.scale ?? 1));
      }
      case 'max-minus': {
        const v = convertUnit(m.value, m.unit, spec.unit);
        return v === undefined ? undefined : round3(Math.max(0, rule.max - v));
      }
      case 'contact':
        return (m.value !== 0) !== Boolean(rule.invert);
      case 'threshold': {
        const on = this.latch(latchKey, (was) => (was ? m.value > rule.above - (rule.hysteresis ?? 0) : m.value > rule.above));
        return on || !rule.silentBelow ? on : undefined;
      }
      case 'range-below': {
        const d = convertUnit(m.value, m.unit, 'm');
        if (d === undefined) return undefined;
        return this.latch(latchKey, (on) => (on ? d < rule.clearM + (rule.hysteresisM ?? 0) : d < rule.clearM));
      }
      default:
        return undefined;
    }
  }

  private latch(key: string, next: (on: boolean) => boolean): boolean {
    const v = next(this.latched.get(key) ?? false);
    this.latched.set(key, v);
    return v;
  }

  /** AIS: a vessel reported within `withinM` of the anchor; RFID: a sighting still open. */
  private unitsPresent(spec: DimensionSpec, f: FeedSpec, rule: Extract<DimensionRule, { kind: 'units-present' }>, now: number): FeedVote[] {
    let best: FeedVote | undefined;
    let heard: Reading | undefined;
    for (const r of this.latest.get(f.source)?.values() ?? []) {
      if (!r.quality.ok) continue;
      if (!heard || r.t > heard.t) heard = r;
      const v = r.value as Record<string, unknown>;
      let present = false;
      let asOf = r;
      if (r.modality === 'rfid') {
        present = v.state === 'open';
        // An open sighting lasts until the reader closes it: it does not age while open.
        if (present) asOf = { ...r, t: now };
      } else if (r.modality === 'ais' && typeof v.lat === 'number' && typeof v.lon === 'number' && this.profile.anchor) {
        present = distanceM({ lat: v.lat, lon: v.lon }, this.profile.anchor) <= (rule.withinM ?? 50);
      }
      if (!present) continue;
      const c = this.confidence(asOf, now, f.freshMs ?? spec.freshMs);
      if (!best || c > best.confidence) best = { source: r.source, value: true, confidence: c, t: r.t, reading: r };
    }
    if (best && best.confidence > 0) return [best];
    if (rule.absentIsFalse && heard) {
      const rel = this.profile.reliability[heard.modality] ?? DEFAULT_RELIABILITY[heard.modality];
      return [{ source: f.source, value: false, confidence: rel, t: now, reading: heard }];
    }
    return [];
  }

  private freeCount(spec: DimensionSpec, feeds: FeedSpec[], now: number): EnvelopeDimension | undefined {
    let free = 0;
    let conf = 1;
    let t = 0;
    const sources = new Set<string>();
    for (const f of feeds) {
      const r = [...(this.latest.get(f.source) ?? [])].filter(([p, r]) => feedMatches(f, r, p)).map(([, r]) => r).at(-1);
      const m = r && measurementOf(r);
      // A connector whose contact nobody has read cannot be counted: the dimension is unknown.
      if (!r || !m) return undefined;
      if (m.value === 0) free++;
      conf = Math.min(conf, this.confidence(r, now, f.freshMs ?? spec.freshMs));
      t = Math.max(t, r.t);
      sources.add(r.source);
    }
    if (feeds.length === 0 || conf <= 0) return undefined;
    return { value: free, unit: spec.unit, conf: round3(conf), sources: [...sources].sort(), t };
  }
}

/**
 * Whether `next` says something `prev` did not: a dimension appeared or vanished, a boolean or
 * count changed, or a number moved by at least its change delta (5 % by default). Dimensions
 * already past hysteresis in their rule, so a flickering sensor does not trigger this.
 */
export function significantChange(prev: PlaceEnvelope | undefined, next: PlaceEnvelope, specs: DimensionSpec[]): boolean {
  if (!prev) return true;
  for (const s of specs) {
    const a = prev.dims[s.id];
    const b = next.dims[s.id];
    if (!a || !b) {
      if (a !== b) return true;
      continue;
    }
    if (typeof a.value !== 'number' || typeof b.value !== 'number' || s.unit === 'count') {
      if (a.value !== b.value) return true;
      continue;
    }
    const delta = s.changeDelta ?? Math.max(Math.abs(a.value) * 0.05, 1e-9);
    if (Math.abs(a.value - b.value) >= delta) return true;
  }
  return false;
}

export function envelopeBody(e: PlaceEnvelope): { [k: string]: CborValue } {
  const dims: { [k: string]: CborValue } = {};
  for (const [k, d] of Object.entries(e.dims)) {
    dims[k] = { value: typeof d.value === 'number' && !Number.isInteger(d.value) ? new CborFloat(d.value) : d.value, unit: d.unit, conf: new CborFloat(d.conf), sources: d.sources, t: d.t };
  }
  return { dims, valid: [e.valid[0], e.valid[1]] };
}

export function summariseEnvelope(e: PlaceEnvelope): string {
  return Object.entries(e.dims)
    .map(([k, d]) => `${k}=${typeof d.value === 'number' ? Math.round(d.value * 100) / 100 : d.value}${d.unit === 'bool' || d.unit === 'count' ? '' : d.unit}(${d.conf.toFixed(2)})`)
    .join(' ');
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

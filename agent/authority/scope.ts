/**
 * Credential scope (DESIGN.md, "Credential" claim 9): which places (URN patterns), which
 * observation kinds, which unit schemes a holder may speak for, and the longest reservation
 * window it may grant. A child's scope must lie inside its parent's.
 */
import type { CborValue } from '../encoding/cbor-value.ts';

export interface Scope {
  /** URN patterns: exact, or ending in `*` to match any suffix (`urn:place:DEHAM:*`). */
  places: string[];
  /** Kinds the holder may sign; `*` for any. */
  kinds: string[];
  /**
   * Units the holder may speak for (DESIGN.md: `units` patterns `scheme:id`): `*` any unit,
   * `mmsi` any unit of that scheme, `mmsi:211331640` that one, `mmsi:2113*` ids with that prefix.
   */
  units: string[];
  /** Longest reservation window in ms the holder may grant or attest, grace included on both sides. */
  maxWindowMs: number;
  /** Largest grace a grant under this scope may give, ms. */
  maxGraceMs: number;
  /** Largest spatial tolerance a grant under this scope may give, metres. */
  maxToleranceM: number;
}

export function scopeToCbor(s: Scope): CborValue {
  return { places: s.places, kinds: s.kinds, units: s.units, max_window_ms: s.maxWindowMs, max_grace_ms: s.maxGraceMs, max_tolerance_m: s.maxToleranceM };
}

export function scopeFromCbor(v: CborValue): Scope | undefined {
  if (!(v instanceof Map)) return undefined;
  const strs = (x: CborValue): string[] | undefined =>
    Array.isArray(x) && x.every((e) => typeof e === 'string') ? (x as string[]) : undefined;
  const places = strs(v.get('places'));
  const kinds = strs(v.get('kinds'));
  const units = strs(v.get('units'));
  const mw = v.get('max_window_ms');
  const mg = v.get('max_grace_ms');
  const mt = v.get('max_tolerance_m');
  const ms = (x: CborValue): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  // Every bound is required: a scope without one cannot bound a grant, and any doubt fails closed.
  if (!places || !kinds || !units || !ms(mw) || !ms(mg) || typeof mt !== 'number' || !Number.isFinite(mt) || mt < 0) return undefined;
  return { places, kinds, units, maxWindowMs: mw, maxGraceMs: mg, maxToleranceM: mt };
}

/** Does `pattern` match the concrete place URN? */
export function placeMatches(pattern: string, place: string): boolean {
  if (pattern.endsWith('*')) return place.startsWith(pattern.slice(0, -1));
  return pattern === place;
}

/** Is every place `child` may match also matched by `parent`? */
function patternWithin(child: string, parent: string): boolean {
  if (parent.endsWith('*')) return child.startsWith(parent.slice(0, -1));
  return child === parent;
}

function setWithin(child: string[], parent: string[]): boolean {
  if (parent.includes('*')) return true;
  return child.every((c) => c !== '*' && parent.includes(c));
}

/** Does a `units` pattern cover the unit `[scheme, id]`? */
export function unitMatches(pattern: string, unit: readonly [string, string]): boolean {
  if (pattern === '*') return true;
  const colon = pattern.indexOf(':');
  if (colon < 0) return pattern === unit[0];
  if (pattern.slice(0, colon) !== unit[0]) return false;
  const id = pattern.slice(colon + 1);
  return id.endsWith('*') ? unit[1].startsWith(id.slice(0, -1)) : unit[1] === id;
}

/** Does any of the patterns cover the unit? */
export const unitsCover = (patterns: readonly string[], unit: readonly [string, string]): boolean => patterns.some((p) => unitMatches(p, unit));

/** Is every unit the `child` pattern covers also covered by the `parent` pattern? */
function unitPatternWithin(child: string, parent: string): boolean {
  if (parent === '*') return true;
  if (child === '*') return false;
  const cs = child.includes(':') ? child.slice(0, child.indexOf(':')) : child;
  if (!parent.includes(':')) return cs === parent;
  if (!child.includes(':')) return false;
  if (parent.endsWith('*')) return child.startsWith(parent.slice(0, -1));
  return child === parent;
}

/** The first way in which `child` is wider than `parent`, or undefined when it lies inside. */
export function scopeExcess(child: Scope, parent: Scope): string | undefined {
  for (const p of child.places) if (!parent.places.some((pp) => patternWithin(p, pp))) return `place pattern ${p} is outside the parent's`;
  if (!setWithin(child.kinds, parent.kinds)) return `kinds [${child.kinds.join(', ')}] exceed the parent's [${parent.kinds.join(', ')}]`;
  if (!child.units.every((c) => parent.units.some((p) => unitPatternWithin(c, p)))) return `unit schemes [${child.units.join(', ')}] exceed the parent's [${parent.units.join(', ')}]`;
  if (child.maxWindowMs > parent.maxWindowMs) return `max window ${child.maxWindowMs} ms exceeds the parent's ${parent.maxWindowMs} ms`;
  if (child.maxGraceMs > parent.maxGraceMs) return `max grace ${child.maxGraceMs} ms exceeds the parent's ${parent.maxGraceMs} ms`;
  if (child.maxToleranceM > parent.maxToleranceM) return `max tolerance ${child.maxToleranceM} m exceeds the parent's ${parent.maxToleranceM} m`;
  return undefined;
}

export function scopeCovers(s: Scope, place: string, kind: string): string | undefined {
  if (!s.places.some((p) => placeMatches(p, place))) return `place ${place} is outside the credential's scope`;
  if (!s.kinds.includes('*') && !s.kinds.includes(kind)) return `kind ${kind} is outside the credential's scope`;
  return undefined;
}

/**
 * A place profile: the envelope dimensions a place declares (DESIGN.md, "Envelope body"), each
 * with its unit, the (source, point) feeds it is computed from and the rule that turns a
 * measurement into the dimension's value. Resolved from configuration (agent/config/
 * place-profile.ts) or declared by the simulator; the domain reads nothing else.
 */
import type { Modality, Reading } from '../../core/reading.ts';

export type PlaceType = 'berth' | 'charger' | 'dock' | 'custom';

/** Standard dimension ids and their units, per place type (DESIGN.md, "Envelope body"). */
export const STANDARD_DIMENSIONS: Record<Exclude<PlaceType, 'custom'>, Record<string, string>> = {
  berth: { length_m: 'm', beam_m: 'm', draft_m: 'm', occupied: 'bool' },
  charger: { max_kw: 'kW', available_kw: 'kW', occupied: 'bool', connectors_free: 'count' },
  dock: { door_open: 'bool', occupied: 'bool', trailer_present: 'bool' },
};

/**
 * How one feed's latest reading becomes a vote for the dimension's value.
 * - `value`: the measurement, converted to the dimension's unit, times `scale`;
 * - `threshold`: true above `above`, and stays true until it falls below `above − hysteresis`;
 *   with `silentBelow`, below it the feed says nothing (a meter drawing no power does not show
 *   that no vehicle is plugged in: it may be full, or waiting for its tariff);
 * - `max-minus`: `max − measurement` (free capacity), never below 0;
 * - `contact`: a switch, true when non-zero (`invert` for a normally-closed contact);
 * - `range-below`: occupied while the distance (metres) is below `clearM`, released above
 *   `clearM + hysteresisM`;
 * - `units-present`: true while an identity source (AIS, RFID) places some unit within
 *   `withinM` of the place; with `absentIsFalse`, false when it places none (a reader that
 *   would see the tag if it were there);
 * - `free-count`: over all the dimension's feeds, how many contacts read zero (connectors free).
 */
export type DimensionRule =
  | { kind: 'value'; scale?: number }
  | { kind: 'threshold'; above: number; hysteresis?: number; silentBelow?: boolean }
  | { kind: 'max-minus'; max: number }
  | { kind: 'contact'; invert?: boolean }
  | { kind: 'range-below'; clearM: number; hysteresisM?: number }
  | { kind: 'units-present'; withinM?: number; absentIsFalse?: boolean }
  | { kind: 'free-count' };

export interface FeedSpec {
  source: string;
  /** A Modbus profile point name or an MCU channel number; absent: every point of the source. */
  point?: string;
  /** Only readings of this modality (an MCU declares each channel's). */
  modality?: Modality;
  /** Overrides the dimension's rule for this feed. */
  rule?: DimensionRule;
  /** Freshness age of this feed's readings (its source's stale time); the dimension's otherwise. */
  freshMs?: number;
}

export interface DimensionSpec {
  id: string;
  unit: string;
  /** A configured constant (quay length, charted depth): stated with confidence 1 and source `config`. */
  fixed?: number | boolean;
  rule?: DimensionRule;
  feeds: FeedSpec[];
  /** A reading counts fully for this long, then halves every further freshness age (evidence.ts). */
  freshMs: number;
  /** A numeric change at least this large (absolute) is significant; default 5 % of the value. */
  changeDelta?: number;
}

export interface PlaceProfile {
  type: PlaceType;
  dims: DimensionSpec[];
  /** Per-modality reliability (evidence.ts DEFAULT_RELIABILITY where absent). */
  reliability: Partial<Record<Modality, number>>;
  /** The place's reference point, for distances of identity evidence. */
  anchor?: { lat: number; lon: number };
}

/**
 * The point a reading belongs to: readings are kept per (source, point), so a Modbus slave
 * with several registers or an MCU with several channels keeps every point, and an AIS
 * receiver keeps one entry per vessel.
 */
export function pointOf(r: Reading): string {
  const v = r.value as Record<string, unknown> | undefined;
  if (!v || typeof v !== 'object') return '';
  // drivers/modbus ModbusPointReading: several slaves on one bus may share a profile.
  if (typeof v.point === 'string') return `${String(v.unit)}:${v.point}`;
  if (typeof v.channel === 'number') return String(v.channel); // firmware-bridge McuReadingValue
  if (r.modality === 'ais' && typeof v.mmsi === 'number') return `mmsi:${v.mmsi}`;
  if (r.modality === 'rfid' && typeof v.tag === 'string') return `tag:${v.tag}`;
  return '';
}

/** The numeric measurement and its unit, for the drivers that report one (Modbus point, MCU channel). */
export function measurementOf(r: Reading): { value: number; unit: string } | undefined {
  const v = r.value as Record<string, unknown> | undefined;
  if (!v || typeof v !== 'object' || typeof v.value !== 'number' || !Number.isFinite(v.value)) return undefined;
  if (typeof v.point === 'string') return { value: v.value, unit: typeof v.unitOfMeasure === 'string' ? v.unitOfMeasure : '' };
  if (typeof v.channel === 'number') return { value: v.value, unit: typeof v.unit === 'string' ? v.unit : '' };
  return undefined;
}

const CONVERSIONS: Record<string, [to: string, factor: number]> = {
  mm: ['m', 0.001],
  cm: ['m', 0.01],
  W: ['kW', 0.001],
  Wh: ['kWh', 0.001],
};

/** Converts between the few units drivers report and dimensions use; undefined when they do not match. */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === to || from === '' || from === 'none' || to === 'bool' || to === 'count') return value;
  const c = CONVERSIONS[from];
  if (c && c[0] === to) return value * c[1];
  const back = CONVERSIONS[to];
  if (back && back[0] === from) return value / back[1];
  return undefined;
}

export function feedMatches(f: FeedSpec, r: Reading, point: string): boolean {
  if (f.source !== r.source) return false;
  if (f.modality !== undefined && f.modality !== r.modality) return false;
  // A Modbus point is named `<slave unit>:<point>`; a feed may name the point alone.
  return f.point === undefined || f.point === point || point.endsWith(`:${f.point}`);
}

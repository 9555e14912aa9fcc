/**
 * Configuration → place profile (agent/domain/place-profile.ts). The place type gives the
 * standard dimensions their units and default feeds, chosen from the configured sources by
 * what each source is (a Modbus slave with the ultrasonic-range profile measures a distance,
 * an MCU declares which channels are door contacts, an AIS receiver or RFID reader names
 * units); what a site must state itself (quay length, rated power, which MCU channel is the
 * plug) comes from `envelope.dims`. Every feed must name a configured source.
 */
import type { Modality } from '../../core/reading.ts';
import type { DimensionRule, DimensionSpec, FeedSpec, PlaceProfile, PlaceType } from '../domain/place-profile.ts';
import { STANDARD_DIMENSIONS } from '../domain/place-profile.ts';
import type { PresencePolicy } from '../domain/presence.ts';
import type { AgentConfig, SourceConfig } from './schema.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';

type DimConfig = AgentConfig['envelope']['dims'][string];
type RuleConfig = NonNullable<DimConfig['rule']>;

const IDENTITY_TYPES = new Set(['ais-serial', 'rfid-em4100', 'rfid-uhf']);

function slavesWith(sources: SourceConfig[], profile: string): { source: SourceConfig; unit: number }[] {
  return sources.flatMap((s) => (s.type === 'modbus' ? s.slaves.filter((sl) => sl.profile === profile).map((sl) => ({ source: s as SourceConfig, unit: sl.unit })) : []));
}

const ofType = (sources: SourceConfig[], ...types: string[]): SourceConfig[] => sources.filter((s) => types.includes(s.type));

/** Default feeds of the standard dimensions, by place type, from what the sources are. */
function defaultFeeds(type: PlaceType, id: string, cfg: AgentConfig, maxKw: number | undefined): { feeds: FeedSpec[]; rule?: DimensionRule } {
  const s = cfg.sources;
  const atPlace = cfg.presence.atPlaceM;
  const rangeSlaves = slavesWith(s, 'ultrasonic-range').map(({ source, unit }) => ({ source: source.id, point: `${unit}:distance` }));
  const meters = slavesWith(s, 'energy-meter').map(({ source, unit }) => ({ source: source.id, point: `${unit}:active_power` }));
  const mcuOf = (modality: Modality) => ofType(s, 'mcu').map((m) => ({ source: m.id, modality }));
  switch (`${type}/${id}`) {
    case 'berth/occupied':
      return {
        feeds: [
          ...rangeSlaves.map((f) => ({ ...f, rule: { kind: 'range-below', clearM: 10, hysteresisM: 0.5 } as DimensionRule })),
          ...ofType(s, 'ais-serial').map((a) => ({ source: a.id, rule: { kind: 'units-present', withinM: atPlace } as DimensionRule })),
        ],
      };
    case 'charger/available_kw':
      return maxKw === undefined ? { feeds: [] } : { feeds: meters, rule: { kind: 'max-minus', max: maxKw } };
    case 'charger/occupied':
      // A vehicle drawing more than 0.5 kW is plugged in and charging.
      return { feeds: meters, rule: { kind: 'threshold', above: 0.5, hysteresis: 0.3 } };
    case 'dock/door_open':
      return { feeds: mcuOf('door'), rule: { kind: 'contact' } };
    case 'dock/occupied':
      return { feeds: [...mcuOf('range'), ...rangeSlaves], rule: { kind: 'range-below', clearM: 3, hysteresisM: 0.2 } };
    case 'dock/trailer_present':
      return { feeds: ofType(s, 'rfid-uhf').map((r) => ({ source: r.id })), rule: { kind: 'units-present', absentIsFalse: true } };
    default:
      return { feeds: [] };
  }
}

function ruleFrom(r: RuleConfig | undefined, maxKw: number | undefined, path: string, issues: ConfigIssue[]): DimensionRule | undefined {
  if (!r) return undefined;
  if (r.kind === 'max-minus') {
    const max = r.max ?? maxKw;
    if (max === undefined) {
      issues.push({ path: `${path}/max`, value: undefined, expected: 'a maximum, or a max_kw dimension with a value' });
      return undefined;
    }
    return { kind: 'max-minus', max };
  }
  return r as DimensionRule;
}

/** Builds the place profile; throws ConfigError naming every dimension that cannot be built. */
export function resolvePlaceProfile(cfg: AgentConfig): PlaceProfile {
  const type = cfg.envelope.placeType;
  const standard = type === 'custom' ? {} : STANDARD_DIMENSIONS[type];
  const declared = cfg.envelope.dims;
  const byId = new Map(cfg.sources.map((s) => [s.id, s]));
  const maxKwValue = declared.max_kw?.value;
  const maxKw = typeof maxKwValue === 'number' ? maxKwValue : undefined;
  const issues: ConfigIssue[] = [];
  const dims: DimensionSpec[] = [];
  for (const id of new Set([...Object.keys(standard), ...Object.keys(declared)])) {
    const d: DimConfig = declared[id] ?? {};
    const path = `/envelope/dims/${id}`;
    const unit = d.unit ?? (standard as Record<string, string>)[id];
    if (!unit) {
      issues.push({ path: `${path}/unit`, value: undefined, expected: `a unit (${id} is not a standard ${type} dimension)` });
      continue;
    }
    const defaults = defaultFeeds(type, id, cfg, maxKw);
    const feeds: FeedSpec[] = [];
    (d.feeds ?? defaults.feeds).forEach((f, i) => {
      const src = byId.get(f.source);
      if (!src) {
        issues.push({ path: `${path}/feeds/${i}/source`, value: f.source, expected: `one of the configured source ids (${[...byId.keys()].join(', ') || 'none'})` });
        return;
      }
      const rule = ruleFrom((f as { rule?: RuleConfig }).rule, maxKw, `${path}/feeds/${i}/rule`, issues);
      feeds.push({
        source: f.source,
        ...(f.point !== undefined ? { point: String(f.point) } : {}),
        ...(f.modality ? { modality: f.modality as Modality } : {}),
        ...(rule ? { rule } : {}),
        ...(d.freshSeconds === undefined && 'staleSeconds' in src ? { freshMs: src.staleSeconds * 1000 } : {}),
      });
    });
    const rule = ruleFrom(d.rule, maxKw, `${path}/rule`, issues) ?? defaults.rule;
    // A standard dimension the site has given neither a value nor a sensor is left out, not guessed.
    if (d.value === undefined && feeds.length === 0) {
      if (declared[id]) issues.push({ path, value: d, expected: 'a value, or feeds from configured sources' });
      continue;
    }
    dims.push({
      id,
      unit,
      ...(d.value !== undefined ? { fixed: d.value } : {}),
      ...(rule ? { rule } : {}),
      feeds,
      freshMs: (d.freshSeconds ?? 30) * 1000,
      ...(d.changeDelta !== undefined ? { changeDelta: d.changeDelta } : {}),
    });
  }
  if (issues.length) throw new ConfigError('CONFIG_INVALID', `envelope dimensions are invalid:\n${issues.map((i) => `  ${i.path}: ${i.expected}`).join('\n')}`, issues);
  const anchor = cfg.presence.anchor ?? (cfg.position ? { lat: cfg.position.lat, lon: cfg.position.lon } : undefined);
  const reliability = Object.fromEntries(Object.entries(cfg.envelope.reliability).filter(([, v]) => v !== undefined)) as PlaceProfile['reliability'];
  return { type, dims, reliability, ...(anchor ? { anchor } : {}) };
}

/** Which sources name units for presence, and by which scheme (grants name units as [scheme, id]). */
export function identitySources(cfg: AgentConfig): Map<string, 'mmsi' | 'rfid'> {
  return new Map(cfg.sources.filter((s) => IDENTITY_TYPES.has(s.type)).map((s) => [s.id, s.type === 'ais-serial' ? 'mmsi' : 'rfid']));
}

/** The presence policy (agent/domain/presence.ts) as configured. */
export function presencePolicy(cfg: AgentConfig): { holdMs: number } & Partial<Omit<PresencePolicy, 'holdMs' | 'physical'>> {
  const p = cfg.presence;
  return {
    holdMs: p.holdSeconds * 1000,
    atPlaceM: p.atPlaceM,
    minConfidence: p.minConfidence,
    uncorroboratedFactor: p.uncorroboratedFactor,
    acceptanceConf: p.acceptanceConfidence,
    maxSpeedMps: p.maxSpeedKnots * KNOT_MPS,
    tagConflictMs: p.tagConflictSeconds * 1000,
    budgets: { windowMs: p.budgets.windowSeconds * 1000, perUnit: p.budgets.perUnit, perGrant: p.budgets.perGrant, perPlace: p.budgets.perPlace },
  };
}

/** 1 international knot = 1852 m per hour. */
const KNOT_MPS = 1852 / 3600;

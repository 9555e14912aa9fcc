/**
 * Presence scenario tables (DESIGN.md, "Presence and settlement windows"): each scenario is a
 * timed sequence of identity evidence (AIS, RFID), physical evidence (radar, plug contact) and
 * clock ticks, and the exact list of claims it must produce, nothing more.
 */
import { describe, expect, it } from 'vitest';
import { PresenceTracker, type PresenceClaim, type PresenceEvidence, type PresencePolicy } from '../../agent/domain/presence.ts';
import type { ReservationGrant } from '../../agent/authority/grant.ts';
import { ANCHOR, MIN, T0, claimLabel as label, presenceGrant as grant } from './presence-fixture.ts';

/** An AIS position `northM` metres north of the anchor, as identityEvidence builds it (distance + 10 m accuracy). */
const ais = (t: number, northM = 5, mmsi = '211'): PresenceEvidence => ({
  unit: ['mmsi', mmsi],
  t,
  distanceM: northM + 10,
  source: 'ais',
  modality: 'ais',
  conf: 0.8,
  digest: `ais-${mmsi}-${t}`,
  position: { lat: ANCHOR.lat + northM / 111_195, lon: ANCHOR.lon },
});
const tag = (t: number, reader: string, id = '0415AB3C9E'): PresenceEvidence => ({ unit: ['rfid', id], t, distanceM: 0.2, source: reader, modality: 'rfid', conf: 0.95, digest: `tag-${reader}-${t}`, open: true });

type Step = { at: number; ais?: PresenceEvidence; tag?: PresenceEvidence; occupied?: string; tick?: true };
const radar = (at: number): Step => ({ at, occupied: 'radar' });
const tick = (at: number): Step => ({ at, tick: true });
/** Ticks every `every` ms over [from, to], as the agent's 1 s presence tick does (coarser here). */
const ticks = (from: number, to: number, every = 30_000): Step[] => Array.from({ length: Math.floor((to - from) / every) + 1 }, (_, i) => tick(from + i * every));

function run(steps: Step[], o: { grants?: ReservationGrant[]; physical?: boolean; policy?: Partial<PresencePolicy> } = {}): PresenceClaim[] {
  const p = new PresenceTracker(2 * MIN, { atPlaceM: 100, physical: o.physical ?? true, ...o.policy });
  for (const g of o.grants ?? [grant()]) p.addGrant(g);
  const out: PresenceClaim[] = [];
  for (const s of [...steps].sort((a, b) => a.at - b.at)) {
    if (s.ais) out.push(...p.observe(s.ais));
    if (s.tag) out.push(...p.observe(s.tag));
    if (s.occupied) out.push(...p.observePhysical({ t: s.at, occupied: true, conf: 0.85, sources: [s.occupied], modality: 'range', digest: `phys-${s.at}` }));
    if (s.tick) out.push(...p.tick(s.at));
  }
  return out;
}

/** A vessel alongside from `from` to `to`: AIS every 30 s, the radar seeing its hull every 10 s. */
function alongside(from: number, to: number, mmsi = '211', radarToo = true): Step[] {
  const out: Step[] = [];
  for (let t = from; t <= to; t += 30_000) out.push({ at: t, ais: ais(t, 5, mmsi) });
  if (radarToo) for (let t = from + 2000; t <= to; t += 10_000) out.push(radar(t));
  return out;
}

const scenarios: { name: string; steps: Step[]; grants?: ReservationGrant[]; physical?: boolean; policy?: Partial<PresencePolicy>; expected: string[] }[] = [
  { name: 'on time', steps: [...alongside(T0 + 5000, T0 + 30 * MIN), ...ticks(T0, T0 + 40 * MIN)], expected: ['arrived', 'departed'] },
  { name: 'early and waiting', steps: [...alongside(T0 - 20 * MIN, T0 + 5 * MIN), ...ticks(T0 - 20 * MIN, T0 + 10 * MIN)], expected: ['arrived', 'departed'] },
  { name: 'late inside the window', steps: [...alongside(T0 + 20 * MIN, T0 + 40 * MIN), ...ticks(T0, T0 + 45 * MIN)], expected: ['arrived', 'departed'] },
  { name: 'overstay: still alongside 10 minutes past the window and its grace', steps: [...alongside(T0 + 5000, T0 + 71 * MIN), ...ticks(T0, T0 + 80 * MIN)], expected: ['arrived', 'overstay', 'departed'] },
  { name: 'leaves at the window end, inside its grace: no overstay', steps: [...alongside(T0 + 5000, T0 + 60 * MIN + 30_000), ...ticks(T0, T0 + 70 * MIN)], expected: ['arrived', 'departed'] },
  {
    name: 'overstay of a card held at the reader (its sighting stays open)',
    grants: [grant({ unit: ['rfid', '0415AB3C9E'], toleranceM: 5 })],
    steps: [{ at: T0 + 1000, tag: tag(T0 + 1000, 'reader-a') }, { at: T0 + 3000, occupied: 'plug' }, ...ticks(T0, T0 + 65 * MIN)],
    expected: ['arrived', 'overstay'],
  },
  { name: 'after the window', steps: [...ticks(T0, T0 + 62 * MIN), ...alongside(T0 + 70 * MIN, T0 + 75 * MIN), ...ticks(T0 + 70 * MIN, T0 + 80 * MIN)], expected: ['no-show', 'refused:outside-window'] },
  { name: 'never comes', steps: ticks(T0 - 5 * MIN, T0 + 90 * MIN), expected: ['no-show'] },
  { name: 'wrong unit', steps: [...alongside(T0 + 5000, T0 + 10 * MIN, '999'), ...ticks(T0, T0 + 62 * MIN)], expected: ['refused:no-grant', 'no-show'] },
  { name: 'AIS-only spoof (the radar never sees a hull)', steps: [...alongside(T0 + 5000, T0 + 10 * MIN, '211', false), ...ticks(T0, T0 + 62 * MIN)], expected: ['refused:not-credible', 'no-show'] },
  {
    name: 'teleporting AIS (20 km out, then at the berth 20 s later)',
    steps: [{ at: T0 + 10_000, ais: ais(T0 + 10_000, 20_000) }, ...alongside(T0 + 30_000, T0 + 10 * MIN), ...ticks(T0, T0 + 62 * MIN)],
    expected: ['refused:not-credible', 'no-show'],
  },
  {
    name: 'one tag at two readers at once',
    grants: [grant({ unit: ['rfid', '0415AB3C9E'], toleranceM: 5 })],
    steps: [{ at: T0 + 1000, tag: tag(T0 + 1000, 'reader-a') }, { at: T0 + 1500, tag: tag(T0 + 1500, 'reader-b') }, { at: T0 + 3000, occupied: 'plug' }, ...ticks(T0, T0 + 62 * MIN)],
    expected: ['refused:not-credible', 'no-show'],
  },
  {
    name: '300 vessels heard 5-20 km out, none with a grant',
    grants: [],
    steps: [
      ...Array.from({ length: 300 }, (_, i) => ({ at: T0 + i * 1000, ais: ais(T0 + i * 1000, 5000 + i * 50, String(300_000_000 + i)) })),
      ...Array.from({ length: 300 }, (_, i) => ({ at: T0 + 400_000 + i * 1000, ais: ais(T0 + 400_000 + i * 1000, 5000 + i * 50, String(300_000_000 + i)) })),
      ...alongside(T0, T0 + 20 * MIN, '0', true).filter((s) => s.occupied),
      ...ticks(T0, T0 + 30 * MIN),
    ],
    expected: [],
  },
  {
    name: 'place budget exhausted by units without grants',
    grants: [],
    policy: { budgets: { windowMs: 3_600_000, perPlace: 3, perUnit: 16, perGrant: 8 } },
    steps: [...['901', '902', '903', '904', '905'].flatMap((m, i) => alongside(T0 + i * 1000, T0 + 5 * MIN, m)), ...ticks(T0, T0 + 10 * MIN)],
    expected: ['refused:no-grant', 'refused:no-grant', 'refused:no-grant', 'suspension:place'],
  },
  {
    name: 'unit budget exhausted (1 per unit): the same ungranted vessel twice',
    grants: [],
    policy: { budgets: { windowMs: 3_600_000, perPlace: 500, perUnit: 1, perGrant: 8 } },
    steps: [...alongside(T0, T0 + 2 * MIN, '901'), ...alongside(T0 + 10 * MIN, T0 + 12 * MIN, '901'), ...alongside(T0 + 20 * MIN, T0 + 22 * MIN, '901'), ...ticks(T0, T0 + 30 * MIN)],
    expected: ['refused:no-grant', 'suspension:unit'],
  },
  {
    name: 'grant budget exhausted (1 attestation per grant)',
    policy: { budgets: { windowMs: 3_600_000, perPlace: 500, perUnit: 16, perGrant: 1 } },
    steps: [...alongside(T0 + 5000, T0 + 10 * MIN), ...ticks(T0, T0 + 20 * MIN)],
    expected: ['arrived', 'suspension:grant'],
  },
  {
    name: 'a place without a physical sensor: one AIS message is not enough',
    physical: false,
    steps: [{ at: T0 + 5000, ais: ais(T0 + 5000) }, ...ticks(T0, T0 + 62 * MIN)],
    expected: ['refused:not-credible', 'no-show'],
  },
  { name: 'one RFID read with the bay empty, gone before the hold time', grants: [grant({ unit: ['rfid', '0415AB3C9E'], toleranceM: 5 })], steps: [{ at: T0 + 1000, tag: { ...tag(T0 + 1000, 'reader-a'), open: false } }, ...ticks(T0, T0 + 62 * MIN)], expected: ['refused:not-credible', 'no-show'] },
  { name: 'a place without a physical sensor: a sustained AIS track arrives, uncorroborated', physical: false, steps: [...alongside(T0 + 5000, T0 + 10 * MIN, '211', false), ...ticks(T0, T0 + 20 * MIN)], expected: ['arrived', 'departed'] },
];

describe('presence scenarios', () => {
  it.each(scenarios)('$name', ({ steps, grants, physical, policy, expected }) => {
    const claims = run(steps, { ...(grants ? { grants } : {}), ...(physical !== undefined ? { physical } : {}), ...(policy ? { policy } : {}) });
    expect(claims.map(label)).toEqual(expected);
  });
});

describe('what the claims say', () => {
  const claimsOf = (name: string): PresenceClaim[] => {
    const s = scenarios.find((x) => x.name === name)!;
    return run(s.steps, { ...(s.grants ? { grants: s.grants } : {}), ...(s.physical !== undefined ? { physical: s.physical } : {}), ...(s.policy ? { policy: s.policy } : {}) });
  };
  const arrived = (cs: PresenceClaim[]) => cs.find((c) => c.kind === 'presence' && c.event === 'arrived') as Extract<PresenceClaim, { event: 'arrived' | 'departed' | 'overstay' }>;

  it('an on-time arrival is corroborated by the radar, with both modalities and no lateness', () => {
    const a = arrived(claimsOf('on time'));
    expect(a.episode.corroborated).toBe(true);
    expect(a.episode.conf).toBeGreaterThanOrEqual(0.9);
    expect([...new Set(a.episode.evidence.map((e) => e.mod))].sort()).toEqual(['ais', 'range']);
    expect(a.episode.sources).toEqual(['ais', 'radar']);
    expect(a.lateMs).toBeUndefined();
    expect(a.temporal.measuredMs).toBe(T0 + 5000 + 2000);
  });
  it('an early vessel arrives at the window start (less grace), not before', () => {
    expect(arrived(claimsOf('early and waiting')).temporal.measuredMs).toBe(T0 - MIN);
  });
  it('a late arrival inside the window states how late past start + grace', () => {
    const a = arrived(claimsOf('late inside the window'));
    expect(a.lateMs).toBe(20 * MIN + 2000 - MIN);
  });
  it('a spoof refusal names its signals and its lowered confidence', () => {
    const ais = claimsOf('AIS-only spoof (the radar never sees a hull)')[0] as Extract<PresenceClaim, { kind: 'reservation' }>;
    expect(ais.episode.flags).toEqual(['no-physical-evidence']);
    expect(ais.episode.corroborated).toBe(false);
    const jump = claimsOf('teleporting AIS (20 km out, then at the berth 20 s later)')[0] as Extract<PresenceClaim, { kind: 'reservation' }>;
    expect(jump.episode.flags).toEqual(['ais-jump']);
    expect(jump.episode.conf).toBeLessThan(0.6);
    const twoReaders = claimsOf('one tag at two readers at once')[0] as Extract<PresenceClaim, { kind: 'reservation' }>;
    expect(twoReaders.episode.flags).toEqual(['tag-two-readers']);
  });
  it('an uncorroborated arrival says so and carries the lowered confidence', () => {
    const a = arrived(claimsOf('a place without a physical sensor: a sustained AIS track arrives, uncorroborated'));
    expect(a.episode.corroborated).toBe(false);
    // Arrived on its second report: two 0.8 readings by noisy-OR, times 0.7.
    expect(a.episode.conf).toBeCloseTo((1 - 0.2 * 0.2) * 0.7, 3);
  });
  it('an overstay states the evidence past end + grace and fails the temporal check; the departure after it too', () => {
    const cs = claimsOf('overstay: still alongside 10 minutes past the window and its grace') as Extract<PresenceClaim, { event: 'arrived' | 'departed' | 'overstay' }>[];
    const over = cs.find((c) => c.event === 'overstay')!;
    // The newest evidence (AIS every 30 s, radar every 10 s) at the tick (every 30 s) that first saw any past end + grace.
    expect(over.temporal).toEqual({ measuredMs: T0 + 61 * MIN + 27_000, window: [T0, T0 + 60 * MIN], graceMs: MIN, ok: false });
    expect(over.spatial.ok).toBe(true);
    expect(over.episode.corroborated).toBe(true);
    const gone = cs.find((c) => c.event === 'departed')!;
    expect(gone.temporal.ok).toBe(false);
    // Last seen by the radar (the hull under it since the arrival), after the last AIS report at 70:35.
    expect(gone.temporal.measuredMs).toBe(T0 + 70 * MIN + 57_000);
  });
  it('the budget suspension states its scope, budget and window', () => {
    const s = claimsOf('place budget exhausted by units without grants').at(-1)!;
    expect(s).toEqual({ kind: 'suspension', scope: 'place', key: 'place', budget: 3, window: [Math.floor(T0 / 3_600_000) * 3_600_000, Math.floor(T0 / 3_600_000) * 3_600_000 + 3_600_000] });
  });

  it('a unit identified once stays while the place stays occupied, and leaves when it clears', () => {
    const g = grant({ unit: ['rfid', '0415AB3C9E'], toleranceM: 5 });
    const p = new PresenceTracker(2 * MIN, { physical: true });
    p.addGrant(g);
    const bay = (t: number, occupied: boolean) => p.observePhysical({ t, occupied, conf: 0.85, sources: ['bay'], modality: 'range', digest: `bay-${t}` });
    const out: PresenceClaim[] = [...bay(T0, true), ...p.observe({ ...tag(T0 + 1000, 'reader-a'), open: false })];
    // The badge is read once; the bay reads occupied every 10 s for 50 minutes, then clear.
    for (let t = T0 + 10_000; t <= T0 + 50 * MIN; t += 10_000) out.push(...bay(t, true), ...p.tick(t));
    out.push(...bay(T0 + 50 * MIN + 10_000, false));
    for (let t = T0 + 50 * MIN + 20_000; t <= T0 + 55 * MIN; t += 10_000) out.push(...p.tick(t));
    expect(out.map(label)).toEqual(['arrived', 'departed']);
    const gone = out[1] as Extract<PresenceClaim, { event: 'arrived' | 'departed' | 'overstay' }>;
    expect(gone.temporal.measuredMs).toBe(T0 + 50 * MIN);
    expect(gone.temporal.ok).toBe(true);
  });

  it('a grant suspended before a restart is not suspended again after it', () => {
    const policy = { physical: true, budgets: { windowMs: 3_600_000, perPlace: 500, perUnit: 16, perGrant: 1 } };
    const p = new PresenceTracker(2 * MIN, policy);
    p.addGrant(grant());
    const feed = (q: PresenceTracker, steps: Step[]) =>
      steps.sort((a, b) => a.at - b.at).flatMap((s) => [...(s.ais ? q.observe(s.ais) : []), ...(s.occupied ? q.observePhysical({ t: s.at, occupied: true, conf: 0.85, sources: ['radar'], modality: 'range', digest: 'x' }) : []), ...(s.tick ? q.tick(s.at) : [])]);
    // Arrived, then still there past end + grace: the overstay is over the grant's budget of 1.
    expect(feed(p, [...alongside(T0 + 5000, T0 + 62 * MIN), ...ticks(T0, T0 + 62 * MIN)]).map(label)).toEqual(['arrived', 'suspension:grant']);
    const q = new PresenceTracker(2 * MIN, policy);
    q.addGrant(grant(), p.grantStates().get('00'.repeat(16)));
    // After the restart the vessel leaves: the departure is over budget too, and nothing new is signed.
    expect(feed(q, [...alongside(T0 + 62 * MIN + 5000, T0 + 64 * MIN), ...ticks(T0 + 62 * MIN, T0 + 70 * MIN)]).map(label)).toEqual([]);
  });

  it('restores settled grants so a restart does not re-judge them', () => {
    const p = new PresenceTracker(2 * MIN, { physical: true });
    p.addGrant(grant());
    for (const s of alongside(T0 + 5000, T0 + 60_000)) {
      if (s.ais) p.observe(s.ais);
      if (s.occupied) p.observePhysical({ t: s.at, occupied: true, conf: 0.85, sources: ['radar'], modality: 'range', digest: 'x' });
    }
    const q = new PresenceTracker(2 * MIN, { physical: true });
    q.addGrant(grant(), p.grantStates().get('00'.repeat(16)));
    expect(q.tick(T0 + 61 * MIN).map(label)).toEqual([]);
  });
});

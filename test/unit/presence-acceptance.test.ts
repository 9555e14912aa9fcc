/**
 * A verified acceptance as identity evidence (DESIGN.md, "Presence and settlement windows":
 * identity evidence is an AIS MMSI, an RFID tag or a verified acceptance, corroborated by
 * physical evidence where the place has it): what it adds to an episode, what it can never do
 * alone, and that every attestation of its grant names h(acceptance).
 */
import { describe, expect, it } from 'vitest';
import { PresenceTracker, type PresenceClaim, type PresenceEvidence } from '../../agent/domain/presence.ts';
import { MIN, T0, claimLabel as label, presenceGrant, type Attestation } from './presence-fixture.ts';

const H = new Uint8Array(32).fill(0xac);
const grant = presenceGrant({ toleranceM: 150 });
/** An AIS report as identityEvidence builds it: flag 1 (0.8) or flag 0 (0.08, distance + 100 m). */
const ais = (t: number, conf = 0.8): PresenceEvidence => ({ unit: ['mmsi', '211'], t, distanceM: conf === 0.8 ? 30 : 120, source: 'ais', modality: 'ais', conf, digest: `ais-${t}`, position: { lat: 53.5, lon: 9.9 } });
const radar = (p: PresenceTracker, t: number) => p.observePhysical({ t, occupied: true, conf: 0.85, sources: ['radar'], modality: 'range', digest: `r-${t}` });

const tracker = (physical: boolean) => {
  const p = new PresenceTracker(2 * MIN, { physical });
  p.addGrant(grant);
  return p;
};

describe('a verified acceptance in presence', () => {
  it('joins the AIS episode, and the corroborated arrival names it and cites it as evidence', () => {
    const p = tracker(true);
    expect(p.observeAcceptance({ grant, hash: H, t: T0 + 1000 })).toEqual([]); // no episode yet, no position: it waits
    const out = [...p.observe(ais(T0 + 5000)), ...radar(p, T0 + 6000)];
    expect(out.map(label)).toEqual(['arrived']);
    const a = out[0] as Attestation;
    expect(a.acceptance).toEqual(H);
    expect(a.episode.evidence.map((e) => e.mod)).toEqual(['ais', 'acceptance', 'range']);
    expect(a.episode.evidence[1]).toEqual({ src: 'acceptance', mod: 'acceptance', t: T0 + 1000, h: 'ac'.repeat(32) });
    // noisy-OR of the AIS report (0.8), the acceptance (0.9) and the radar (0.85).
    expect(a.episode.conf).toBeCloseTo(1 - 0.2 * 0.1 * 0.15, 3);
  });

  it('with a fresh position of its own, it opens an episode that the radar corroborates', () => {
    const p = tracker(true);
    expect(p.observeAcceptance({ grant, hash: H, t: T0 + 1000, distanceM: 25 })).toEqual([]);
    const out = radar(p, T0 + 3000);
    expect(out.map(label)).toEqual(['arrived']);
    expect((out[0] as Attestation).spatial).toEqual({ measuredM: 25, requiredM: 150, ok: true });
    expect((out[0] as Attestation).episode.corroborated).toBe(true);
  });

  it('is never proof alone: with the radar silent the episode is refused, not arrived', () => {
    const p = tracker(true);
    const out = [...p.observeAcceptance({ grant, hash: H, t: T0 + 1000, distanceM: 25 }), ...p.tick(T0 + 1000 + 2 * MIN), ...p.tick(T0 + 1000 + 5 * MIN)];
    expect(out.map(label)).toEqual(['refused:not-credible']);
  });

  it('where the place has no sensor, it does not stand in for the second radio reading', () => {
    const p = tracker(false);
    const out = [...p.observeAcceptance({ grant, hash: H, t: T0 + 1000, distanceM: 25 }), ...p.observe(ais(T0 + 5000))];
    expect(out.map(label)).toEqual([]);
    // The second report a second later: arrived, at noisy-OR(0.8, 0.8, 0.9) × 0.7.
    const arrived = p.observe(ais(T0 + 7000));
    expect(arrived.map(label)).toEqual(['arrived']);
    expect((arrived[0] as Attestation).episode.conf).toBeCloseTo((1 - 0.2 * 0.2 * 0.1) * 0.7, 3);
    expect((arrived[0] as Attestation).episode.corroborated).toBe(false);
  });

  it('lifts a low-accuracy AIS track over the default threshold where it could not reach it alone', () => {
    const without = tracker(false);
    expect([...without.observe(ais(T0 + 5000, 0.08)), ...without.observe(ais(T0 + 7000, 0.08))].map(label)).toEqual([]);
    const p = tracker(false);
    p.observeAcceptance({ grant, hash: H, t: T0 + 1000 });
    const out = [...p.observe(ais(T0 + 5000, 0.08)), ...p.observe(ais(T0 + 7000, 0.08))];
    expect(out.map(label)).toEqual(['arrived']);
    expect((out[0] as Attestation).episode.conf).toBeCloseTo((1 - 0.92 * 0.92 * 0.1) * 0.7, 3);
  });

  it('every attestation of its grant names it: arrived, overstay, departed; and a no-show', () => {
    const p = tracker(true);
    p.observeAcceptance({ grant, hash: H, t: T0 });
    const out: PresenceClaim[] = [];
    for (let t = T0 + 5000; t <= T0 + 62 * MIN; t += 30_000) out.push(...p.observe(ais(t)), ...radar(p, t + 1000), ...p.tick(t + 2000));
    out.push(...p.tick(T0 + 70 * MIN));
    expect(out.map(label)).toEqual(['arrived', 'overstay', 'departed']);
    for (const c of out) expect((c as Attestation).acceptance).toEqual(H);

    const q = tracker(true);
    q.observeAcceptance({ grant, hash: H, t: T0 });
    const noShow = q.tick(T0 + 61 * MIN);
    expect(noShow.map(label)).toEqual(['no-show']);
    expect((noShow[0] as Extract<PresenceClaim, { event: 'no-show' }>).acceptance).toEqual(H);
  });

  it('an acceptance for a grant the tracker does not hold changes nothing', () => {
    const p = tracker(true);
    expect(p.observeAcceptance({ grant: { ...grant, cti: new Uint8Array(16).fill(1) }, hash: H, t: T0, distanceM: 5 })).toEqual([]);
    expect(p.activeEpisodes).toEqual([]);
  });
});

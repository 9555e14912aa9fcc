/**
 * The AIS-alone rule (docs/place-profiles.md, "AIS alone"): with the configured defaults, what an
 * AIS track with no physical corroboration may and may not produce. AIS readings are built as
 * the AisSource builds them (quality.accuracyM from the position accuracy flag, ITU-R M.1371-5
 * Table 46) and judged through identityEvidence and the presence tracker, as the agent does.
 */
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/reading.ts';
import { AIS_HIGH_ACCURACY_M, AIS_LOW_ACCURACY_M } from '../../drivers/ais/ais-source.ts';
import { identityEvidence } from '../../agent/domain/identity-evidence.ts';
import { PresenceTracker, type PresenceClaim } from '../../agent/domain/presence.ts';
import { presencePolicy } from '../../agent/config/place-profile.ts';
import { validateConfig } from '../../agent/config/load.ts';
import { ANCHOR, T0, claimLabel, presenceGrant, type Attestation } from './presence-fixture.ts';

const MMSI = 211331640;

/** A moored vessel's type 1 report 20 m north of the anchor; `flag` is its position accuracy flag. */
const report = (t: number, flag: 0 | 1): Reading => ({
  source: 'ais',
  modality: 'ais',
  t,
  value: { type: 1, mmsi: MMSI, lat: ANCHOR.lat + 20 / 111_195, lon: ANCHOR.lon, accuracy: flag === 1 },
  quality: { ok: true, accuracyM: flag === 1 ? AIS_HIGH_ACCURACY_M : AIS_LOW_ACCURACY_M },
});

const grant = presenceGrant({ unit: ['mmsi', String(MMSI)], toleranceM: 150 }); // wide enough for the 120 m bound of a flag-0 report

/** The defaults a configuration with no presence section gets. */
const defaults = presencePolicy(validateConfig({ place: 'urn:place:X:1' }));

function judge(flag: 0 | 1, physical: boolean, reports = 10): PresenceClaim[] {
  const { holdMs, ...policy } = defaults;
  const p = new PresenceTracker(holdMs, { ...policy, physical });
  p.addGrant(grant);
  const out: PresenceClaim[] = [];
  for (let i = 0; i < reports; i++) {
    const ev = identityEvidence(report(T0 + 5000 + i * 10_000, flag), 'mmsi', { anchor: ANCHOR, reliability: {}, digest: `r${i}` });
    out.push(...p.observe(ev!));
    out.push(...p.tick(T0 + 5000 + i * 10_000 + 1));
  }
  return out;
}

const labels = (cs: PresenceClaim[]) => cs.map(claimLabel);

describe('AIS alone, under the default policy', () => {
  it('the defaults are a 0.6 threshold and a 0.7 factor without a physical sensor', () => {
    expect(defaults.minConfidence).toBe(0.6);
    expect(defaults.uncorroboratedFactor).toBe(0.7);
    expect(defaults.acceptanceConf).toBe(0.9);
  });

  it('one report of accuracy flag 1 counts 0.8, of flag 0 (worse than 10 m, assumed 100 m) 0.08', () => {
    const ev = (flag: 0 | 1) => identityEvidence(report(T0, flag), 'mmsi', { anchor: ANCHOR, reliability: {}, digest: 'x' })!;
    expect(ev(1).conf).toBeCloseTo(0.8, 6);
    expect(ev(0).conf).toBeCloseTo(0.08, 6);
    // The distance bound adds the stated accuracy: 20 m + 10 m, 20 m + 100 m.
    expect(ev(1).distanceM).toBeCloseTo(30, 0);
    expect(ev(0).distanceM).toBeCloseTo(120, 0);
  });

  it('where the place has a physical sensor, no AIS track arrives on its own, however accurate', () => {
    expect(labels(judge(1, true))).toEqual(['refused:not-credible']);
  });

  it('where it has none, a high-accuracy track arrives uncorroborated at 0.672 on its second report', () => {
    const cs = judge(1, false);
    expect(labels(cs)).toEqual(['arrived']);
    const a = cs[0] as Attestation;
    expect(a.episode.corroborated).toBe(false);
    expect(a.episode.conf).toBeCloseTo(0.672, 3);
    expect(a.episode.evidence).toHaveLength(2);
  });

  it('where it has none, a low-accuracy track never reaches the threshold (three reports: 0.155) and is refused once', () => {
    const cs = judge(0, false);
    expect(labels(cs)).toEqual(['refused:not-credible']);
    const r = cs[0] as Extract<PresenceClaim, { kind: 'reservation' }>;
    expect(r.episode.conf).toBeCloseTo((1 - 0.92 ** 3) * 0.7, 3);
    expect(r.required).toEqual({ min_conf: 0.6 });
  });

  it('a single report never arrives, whatever the threshold', () => {
    const { holdMs, ...policy } = defaults;
    const p = new PresenceTracker(holdMs, { ...policy, physical: false, minConfidence: 0 });
    p.addGrant(grant);
    const ev = identityEvidence(report(T0 + 5000, 1), 'mmsi', { anchor: ANCHOR, reliability: {}, digest: 'x' })!;
    expect(labels([...p.observe(ev), ...p.tick(T0 + 5000 + holdMs + 1)])).toEqual(['refused:not-credible']);
  });
});

/** Presence episodes settled against grants (DESIGN.md, "Presence and settlement windows"). */
import { describe, expect, it } from 'vitest';
import { PresenceTracker, type PresenceClaim, type PresenceEvidence } from '../../agent/domain/presence.ts';
import type { ReservationGrant } from '../../agent/authority/grant.ts';

const T0 = 1_800_000_000_000;
const grant = (over: Partial<ReservationGrant> = {}): ReservationGrant => ({
  iss: 'urn:a',
  iat: 0,
  cti: new Uint8Array(16),
  nonce: new Uint8Array(16).fill(9),
  place: 'urn:place:X:1',
  reservation: 'R1',
  unit: ['mmsi', '211'],
  window: [T0, T0 + 3_600_000],
  toleranceM: 50,
  graceMs: 60_000,
  ...over,
});
const seen = (t: number, distanceM = 10, unit: [string, string] = ['mmsi', '211']): PresenceEvidence => ({ unit, t, distanceM, source: 'ais', digest: `d${t}` });
const events = (cs: PresenceClaim[]) => cs.map((c) => (c.kind === 'presence' ? c.event : c.kind === 'reservation' ? `refused:${c.reason}` : 'suspension'));

describe('PresenceTracker', () => {
  it('attests arrival inside the window and tolerance, then departure after the hold time', () => {
    const p = new PresenceTracker(120_000);
    p.addGrant(grant());
    expect(events(p.observe(seen(T0 + 5_000)))).toEqual(['arrived']);
    expect(events(p.observe(seen(T0 + 65_000)))).toEqual([]);
    expect(events(p.tick(T0 + 65_000 + 120_001))).toEqual(['departed']);
  });

  it('refuses a unit outside tolerance or outside the window, and one with no grant, saying why', () => {
    const p = new PresenceTracker(120_000);
    p.addGrant(grant());
    expect(events(p.observe(seen(T0 - 120_000, 10)))).toEqual(['refused:outside-window']);
    const q = new PresenceTracker(120_000);
    q.addGrant(grant());
    expect(events(q.observe(seen(T0 + 1000, 500)))).toEqual(['refused:outside-tolerance']);
    expect(events(q.observe(seen(T0 + 1000, 5, ['mmsi', '999'])))).toEqual(['refused:no-grant']);
  });

  it('reports a no-show once the window start plus grace has passed without arrival', () => {
    const p = new PresenceTracker(120_000);
    p.addGrant(grant());
    expect(events(p.tick(T0 + 59_000))).toEqual([]);
    expect(events(p.tick(T0 + 61_000))).toEqual(['no-show']);
    expect(events(p.tick(T0 + 62_000))).toEqual([]);
  });

  it('counts a unit alongside since before the window as arrived, not a no-show, even with sparse reports', () => {
    const p = new PresenceTracker(300_000);
    expect(events(p.observe(seen(T0 - 200_000)))).toEqual(['refused:no-grant']);
    p.addGrant(grant());
    expect(events(p.tick(T0 + 61_000))).toEqual(['arrived']);
  });

  it('reports an overstay past the window end plus grace', () => {
    const p = new PresenceTracker(600_000);
    p.addGrant(grant({ window: [T0, T0 + 100_000] }));
    p.observe(seen(T0 + 1000));
    p.observe(seen(T0 + 150_000));
    expect(events(p.tick(T0 + 161_000))).toEqual(['overstay']);
  });

  it('caps attestations per grant and records the exhaustion once', () => {
    const p = new PresenceTracker(1000, 1);
    p.addGrant(grant());
    expect(events(p.observe(seen(T0 + 1000)))).toEqual(['arrived']);
    expect(events(p.tick(T0 + 10_000))).toEqual(['suspension']);
    expect(events(p.tick(T0 + 20_000))).toEqual([]);
  });

  it('restores settled grants so a restart does not re-judge them', () => {
    const p = new PresenceTracker(120_000);
    p.addGrant(grant());
    p.observe(seen(T0 + 5_000));
    const state = p.grantStates();
    const q = new PresenceTracker(120_000);
    q.addGrant(grant(), state.get('R1'));
    expect(events(q.tick(T0 + 61_000))).toEqual([]);
  });
});

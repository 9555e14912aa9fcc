/**
 * What the presence tests share: a time base, a berth's anchor, a reservation grant for
 * mmsi:211 at urn:place:X:1 over the hour from T0 with a minute's grace (the fields the tracker
 * reads; its hash, nonce and cti are fixed bytes, since the tracker is handed grants already
 * verified), and one word per claim for comparing what a scenario produced.
 */
import type { PresenceClaim } from '../../agent/domain/presence.ts';
import type { ReservationGrant } from '../../agent/authority/grant.ts';

export const T0 = 1_800_000_000_000;
export const MIN = 60_000;
export const ANCHOR = { lat: 53.5461, lon: 9.9665 };

export function presenceGrant(over: Partial<ReservationGrant> = {}): ReservationGrant {
  return {
    iss: 'urn:a',
    iat: 0,
    exp: 2_000_000_000,
    cti: new Uint8Array(16),
    hash: new Uint8Array(32).fill(3),
    nonce: new Uint8Array(16).fill(9),
    place: 'urn:place:X:1',
    reservation: 'R1',
    unit: ['mmsi', '211'],
    window: [T0, T0 + 60 * MIN],
    toleranceM: 50,
    graceMs: MIN,
    ...over,
  };
}

/** An attestation about a unit at the place (not a no-show). */
export type Attestation = Extract<PresenceClaim, { event: 'arrived' | 'departed' | 'overstay' }>;

/** `arrived`, `no-show`, `refused:<reason>`, `suspension:<scope>`. */
export function claimLabel(c: PresenceClaim): string {
  if (c.kind === 'presence') return c.event;
  if (c.kind === 'reservation') return `refused:${c.reason}`;
  return `suspension:${c.scope}`;
}

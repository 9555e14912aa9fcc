/**
 * What presence settlement takes in and gives out (DESIGN.md, "Presence and settlement
 * windows", "Proximity attestation"): identity and physical evidence, the episode as an
 * attestation states it, the spatial and temporal checks, the claims, the policy and how far a
 * grant has been settled. Types and the default policy only; the tracker is presence.ts.
 */
import type { Modality } from '../../core/reading.ts';
import type { ReservationGrant } from '../authority/grant.ts';
import type { BudgetLimits, SuspensionClaim } from './budgets.ts';
import type { SpoofFlag } from './spoofing.ts';
export interface PresenceEvidence {
  unit: [scheme: string, id: string];
  /** ms */
  t: number;
  /** Upper bound on the unit's distance from the place, metres. */
  distanceM: number;
  source: string;
  modality: Modality;
  /** The reading's own confidence (evidence.ts: reliability × quality). */
  conf: number;
  /** SHA-256 of the reading that carried it, hex. */
  digest: string;
  /** AIS: the reported position, for the jump check. */
  position?: { lat: number; lon: number };
  /** RFID: false for the reading that closes a sighting. */
  open?: boolean;
}

/** The place's physical occupancy as its non-identity sensors state it (a fused envelope dimension). */
export interface PhysicalEvidence {
  t: number;
  occupied: boolean;
  conf: number;
  sources: string[];
  modality: Modality;
  digest: string;
}

export interface EvidenceRef {
  src: string;
  mod: Modality;
  t: number;
  h: string;
}

export interface EpisodeView {
  unit: [string, string];
  openedAt: number;
  lastSeen: number;
  minDistanceM: number;
  evidence: EvidenceRef[];
  sources: string[];
  corroborated: boolean;
  conf: number;
  flags: SpoofFlag[];
}

export interface SpatialCheck {
  measuredM: number;
  requiredM: number;
  ok: boolean;
}

export interface TemporalCheck {
  measuredMs: number;
  window: [number, number];
  graceMs: number;
  ok: boolean;
}

export type RefusalReason = 'no-grant' | 'outside-window' | 'outside-tolerance' | 'not-credible';

export type PresenceClaim =
  | { kind: 'presence'; event: 'arrived' | 'departed' | 'overstay'; grant: ReservationGrant; episode: EpisodeView; spatial: SpatialCheck; temporal: TemporalCheck; lateMs?: number }
  | { kind: 'presence'; event: 'no-show'; grant: ReservationGrant; temporal: TemporalCheck }
  | { kind: 'reservation'; unit: [string, string]; reason: RefusalReason; reservation?: string; grant?: ReservationGrant; measured: Record<string, number>; required: Record<string, number>; episode: EpisodeView }
  | SuspensionClaim;

export interface PresencePolicy {
  holdMs: number;
  /** Identity evidence farther than this (or than the unit's grant tolerance) is not at the place. */
  atPlaceM: number;
  minConfidence: number;
  uncorroboratedFactor: number;
  maxSpeedMps: number;
  tagConflictMs: number;
  /** Whether the place has a physical sensor that must corroborate identity evidence. */
  physical: boolean;
  budgets: BudgetLimits;
}

export const DEFAULT_PRESENCE_POLICY: Omit<PresencePolicy, 'holdMs'> = {
  atPlaceM: 100,
  minConfidence: 0.6,
  uncorroboratedFactor: 0.7,
  maxSpeedMps: 20.6, // 40 knots
  tagConflictMs: 2000,
  physical: false,
  budgets: { windowMs: 3_600_000, perPlace: 500, perUnit: 16, perGrant: 8 },
};

export interface GrantSettlement {
  arrived: boolean;
  departed: boolean;
  noShow: boolean;
  overstay: boolean;
  attestations: number;
  suspended: boolean;
}

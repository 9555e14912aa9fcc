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

/**
 * A verified acceptance of a tracked grant (agent/authority/acceptance.ts): identity evidence for
 * the grant's unit, signed with the unit's own credential. It says who, not where: only with a
 * fresh position of its own (claim 264, within the hold time) can it open an episode; otherwise it
 * joins the unit's episode opened by AIS or RFID. Either way it never makes an episode credible
 * alone: where the place has a physical sensor that sensor must agree, and where it has none the
 * two identity readings required are radio readings (the unit controls its acceptance as it
 * controls its transponder).
 */
export interface AcceptanceEvidence {
  grant: ReservationGrant;
  /** h(acceptance). */
  hash: Uint8Array;
  /** When it was received, ms. */
  t: number;
  /** From its own position: an upper bound on the unit's distance, metres. */
  distanceM?: number;
}

export interface EvidenceRef {
  src: string;
  /** A reading's modality, or `acceptance` for a verified acceptance. */
  mod: Modality | 'acceptance';
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
  | { kind: 'presence'; event: 'arrived' | 'departed' | 'overstay'; grant: ReservationGrant; acceptance?: Uint8Array; episode: EpisodeView; spatial: SpatialCheck; temporal: TemporalCheck; lateMs?: number }
  | { kind: 'presence'; event: 'no-show'; grant: ReservationGrant; acceptance?: Uint8Array; temporal: TemporalCheck }
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
  /** Identity confidence of a verified acceptance (a signature by the unit's credential). */
  acceptanceConf: number;
  budgets: BudgetLimits;
}

export const DEFAULT_PRESENCE_POLICY: Omit<PresencePolicy, 'holdMs'> = {
  atPlaceM: 100,
  minConfidence: 0.6,
  uncorroboratedFactor: 0.7,
  maxSpeedMps: 20.6, // 40 knots
  tagConflictMs: 2000,
  physical: false,
  acceptanceConf: 0.9,
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

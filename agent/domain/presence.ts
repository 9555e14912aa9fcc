/**
 * Presence episodes and their settlement against reservation grants (DESIGN.md, "Presence and
 * settlement windows"). Pure: evidence and time go in, claims come out.
 *
 * An episode opens on the first credible evidence of a unit and closes when the unit has been
 * absent past the hold time. Against a verified grant: `arrived` (inside the window widened by
 * grace, within tolerance, echoing the nonce), `departed`, `no-show` (window start plus grace
 * passed without arrival), `overstay` (still present past window end plus grace). A unit with
 * no grant, outside the window or outside tolerance gets a `reservation` claim saying why.
 * Budgets cap attestations per grant; exhaustion is itself a `suspension` claim.
 */
import type { ReservationGrant } from '../authority/grant.ts';

export interface PresenceEvidence {
  unit: [scheme: string, id: string];
  /** ms */
  t: number;
  /** Upper bound on the unit's distance from the place, metres. */
  distanceM: number;
  source: string;
  /** SHA-256 of the reading that carried it, hex. */
  digest: string;
}

export type PresenceClaim =
  | { kind: 'presence'; event: 'arrived' | 'departed' | 'overstay'; grant: ReservationGrant; episode: Episode; spatial: SpatialCheck; temporal: TemporalCheck }
  | { kind: 'presence'; event: 'no-show'; grant: ReservationGrant; temporal: TemporalCheck }
  | { kind: 'reservation'; unit: [string, string]; reason: 'no-grant' | 'outside-window' | 'outside-tolerance'; reservation?: string; measured: Record<string, number>; required: Record<string, number>; evidence: string[] }
  | { kind: 'suspension'; reservation: string; unit: [string, string]; budget: number };

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

export interface Episode {
  unit: [string, string];
  openedAt: number;
  lastSeen: number;
  minDistanceM: number;
  evidence: string[];
  sources: Set<string>;
}

export interface GrantSettlement {
  arrived: boolean;
  departed: boolean;
  noShow: boolean;
  overstay: boolean;
  attestations: number;
  suspended: boolean;
}

interface GrantState extends GrantSettlement {
  grant: ReservationGrant;
}

const unitKey = (u: [string, string]): string => `${u[0]}:${u[1]}`;

/** An `arrived` claim: the episode is copied, since the tracker goes on updating its own. */
function arrivedClaim(g: ReservationGrant, ep: Episode, measuredM: number, measuredMs: number): PresenceClaim {
  return {
    kind: 'presence',
    event: 'arrived',
    grant: g,
    episode: { ...ep, evidence: [...ep.evidence], sources: new Set(ep.sources) },
    spatial: { measuredM, requiredM: g.toleranceM, ok: true },
    temporal: { measuredMs, window: g.window, graceMs: g.graceMs, ok: true },
  };
}

export class PresenceTracker {
  private readonly episodes = new Map<string, Episode>();
  private readonly grants = new Map<string, GrantState>();

  constructor(
    private readonly holdMs: number,
    private readonly budgetPerGrant = 8,
  ) {}

  /** Adds a verified grant; `settled` restores how far it got before a restart. */
  addGrant(g: ReservationGrant, settled?: GrantSettlement): boolean {
    if (this.grants.has(g.reservation)) return false;
    this.grants.set(g.reservation, { grant: g, arrived: false, departed: false, noShow: false, overstay: false, attestations: 0, suspended: false, ...settled });
    return true;
  }

  /** How far each grant has been settled, to be kept with the grant across restarts. */
  grantStates(): Map<string, GrantSettlement> {
    const out = new Map<string, GrantSettlement>();
    for (const [id, s] of this.grants) {
      out.set(id, { arrived: s.arrived, departed: s.departed, noShow: s.noShow, overstay: s.overstay, attestations: s.attestations, suspended: s.suspended });
    }
    return out;
  }

  get activeEpisodes(): Episode[] {
    return [...this.episodes.values()];
  }

  get grantCount(): number {
    return this.grants.size;
  }

  observe(ev: PresenceEvidence): PresenceClaim[] {
    const k = unitKey(ev.unit);
    let ep = this.episodes.get(k);
    const out: PresenceClaim[] = [];
    const opened = !ep;
    if (!ep) {
      ep = { unit: ev.unit, openedAt: ev.t, lastSeen: ev.t, minDistanceM: ev.distanceM, evidence: [], sources: new Set() };
      this.episodes.set(k, ep);
    }
    ep.lastSeen = Math.max(ep.lastSeen, ev.t);
    ep.minDistanceM = Math.min(ep.minDistanceM, ev.distanceM);
    if (ep.evidence.length < 16) ep.evidence.push(ev.digest);
    ep.sources.add(ev.source);

    const mine = [...this.grants.values()].filter((s) => unitKey(s.grant.unit) === k && !s.departed && !s.noShow);
    const pending = mine.filter((s) => !s.arrived);
    if (pending.length === 0) {
      if (opened && mine.length === 0) {
        out.push({ kind: 'reservation', unit: ev.unit, reason: 'no-grant', measured: { t: ev.t, distance_m: ev.distanceM }, required: {}, evidence: [ev.digest] });
      }
      return out;
    }
    for (const s of pending) {
      const g = s.grant;
      const [start, end] = g.window;
      const inWindow = ev.t >= start - g.graceMs && ev.t <= end + g.graceMs;
      const inTolerance = ev.distanceM <= g.toleranceM;
      if (inWindow && inTolerance) {
        if (!this.spend(s, out)) continue;
        s.arrived = true;
        out.push(arrivedClaim(g, ep, ev.distanceM, ev.t));
      } else if (opened) {
        out.push({
          kind: 'reservation',
          unit: ev.unit,
          reservation: g.reservation,
          reason: inWindow ? 'outside-tolerance' : 'outside-window',
          measured: { t: ev.t, distance_m: ev.distanceM },
          required: { window_start: start, window_end: end, grace_ms: g.graceMs, tolerance_m: g.toleranceM },
          evidence: [ev.digest],
        });
      }
    }
    return out;
  }

  /** Advances time: closes stale episodes, reports no-shows and overstays, forgets finished grants. */
  tick(now: number): PresenceClaim[] {
    const out: PresenceClaim[] = [];
    for (const [k, ep] of this.episodes) {
      if (now - ep.lastSeen <= this.holdMs) continue;
      this.episodes.delete(k);
      for (const s of this.grants.values()) {
        if (unitKey(s.grant.unit) !== k || !s.arrived || s.departed) continue;
        s.departed = true;
        if (!this.spend(s, out)) continue;
        const g = s.grant;
        out.push({
          kind: 'presence',
          event: 'departed',
          grant: g,
          episode: ep,
          spatial: { measuredM: ep.minDistanceM, requiredM: g.toleranceM, ok: ep.minDistanceM <= g.toleranceM },
          temporal: { measuredMs: ep.lastSeen, window: g.window, graceMs: g.graceMs, ok: ep.lastSeen <= g.window[1] + g.graceMs },
        });
      }
    }
    for (const [id, s] of this.grants) {
      const g = s.grant;
      if (!s.arrived && !s.noShow && now > g.window[0] + g.graceMs) {
        // A unit already alongside before the window has arrived: its episode is still open (it
        // was never absent past the hold time), so its presence spans the window start. Sparse
        // reports (AIS at anchor: every 3 min) need not land inside [start - grace, start + grace].
        const ep = this.episodes.get(unitKey(g.unit));
        if (ep && ep.minDistanceM <= g.toleranceM && ep.openedAt <= g.window[0] + g.graceMs) {
          if (this.spend(s, out)) {
            s.arrived = true;
            out.push(arrivedClaim(g, ep, ep.minDistanceM, Math.max(ep.openedAt, g.window[0])));
          }
          continue;
        }
        s.noShow = true;
        if (this.spend(s, out)) out.push({ kind: 'presence', event: 'no-show', grant: g, temporal: { measuredMs: now, window: g.window, graceMs: g.graceMs, ok: false } });
      }
      if (s.arrived && !s.departed && !s.overstay && now > g.window[1] + g.graceMs) {
        const ep = this.episodes.get(unitKey(g.unit));
        if (ep) {
          s.overstay = true;
          if (this.spend(s, out)) {
            out.push({
              kind: 'presence',
              event: 'overstay',
              grant: g,
              episode: ep,
              spatial: { measuredM: ep.minDistanceM, requiredM: g.toleranceM, ok: true },
              temporal: { measuredMs: now, window: g.window, graceMs: g.graceMs, ok: false },
            });
          }
        }
      }
      // A grant is finished once settled and its window (plus grace and hold) is over.
      if (now > g.window[1] + g.graceMs + this.holdMs && (s.departed || s.noShow || !this.episodes.has(unitKey(g.unit)))) this.grants.delete(id);
    }
    return out;
  }

  private spend(s: GrantState, out: PresenceClaim[]): boolean {
    if (s.attestations >= this.budgetPerGrant) {
      if (!s.suspended) {
        s.suspended = true;
        out.push({ kind: 'suspension', reservation: s.grant.reservation, unit: s.grant.unit, budget: this.budgetPerGrant });
      }
      return false;
    }
    s.attestations++;
    return true;
  }
}

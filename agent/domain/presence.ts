/**
 * Presence episodes and their settlement against reservation grants (DESIGN.md, "Presence and
 * settlement windows"). Pure: evidence and time go in, claims come out.
 *
 * An episode opens on identity evidence (AIS MMSI, RFID tag, a verified acceptance with a fresh
 * position of its own; presence-claims.ts AcceptanceEvidence) placing a unit within the place's
 * cut-off distance; units heard farther away produce nothing. It becomes credible when its
 * fused confidence reaches the policy threshold and, where the place has a physical sensor,
 * an independent physical source (range, contact, meter) saw the place occupied within the
 * hold time. Where the place has none, the episode is `corroborated: false`, its confidence is
 * lowered by `uncorroboratedFactor`, and it needs at least two identity readings a second
 * apart: no single radio message is ever credible. Each spoofing signal halves the confidence.
 *
 * Against a verified grant: `arrived` at the first credible presence inside
 * [start − grace, end] (with `late_ms` past start + grace), `departed`, `no-show` once the
 * window has ended without an arrival, `overstay`. A credible unit at the place with no grant,
 * after the window or outside the tolerance, or an episode still not credible after the hold
 * time, gets one `reservation` refusal per episode. Budgets (budgets.ts) bound all of it.
 */
import type { ReservationGrant } from '../authority/grant.ts';
import { noisyOr } from './evidence.ts';
import { PresenceBudgets, type BudgetUse, type SuspensionClaim } from './budgets.ts';
import { SpoofingWatch, type SpoofFlag } from './spoofing.ts';
import { DEFAULT_PRESENCE_POLICY, type AcceptanceEvidence, type EpisodeView, type EvidenceRef, type GrantSettlement, type PhysicalEvidence, type PresenceClaim, type PresenceEvidence, type PresencePolicy, type RefusalReason } from './presence-claims.ts';

export * from './presence-claims.ts';

interface GrantState extends GrantSettlement {
  grant: ReservationGrant;
  /** h(acceptance) of its verified acceptance: every attestation of the grant names it. */
  acceptance?: Uint8Array;
}

const named = (s: GrantState): { acceptance?: Uint8Array } => (s.acceptance ? { acceptance: s.acceptance } : {});

interface Episode {
  unit: [string, string];
  key: string;
  openedAt: number;
  lastSeen: number;
  minDistanceM: number;
  evidence: EvidenceRef[];
  sources: Set<string>;
  /** Confidences of up to three identity readings at least a second apart. */
  idConfs: number[];
  lastIdT: number;
  flags: Set<SpoofFlag>;
  /** Readers holding an RFID sighting of the unit open: it is still there while they do. */
  openSightings: Set<string>;
  credibleAt?: number;
  refused: boolean;
  /** A verified acceptance for the unit (presence-claims.ts AcceptanceEvidence): h hex, time received. */
  acceptance?: { h: string; t: number };
}

/** Episodes open at once; past this the one heard least recently closes (a flood of spoofed MMSIs). */
const MAX_EPISODES = 1024;
const MAX_EVIDENCE = 16;
const LATE_REFUSAL_MS = 3_600_000;

const unitKey = (u: [string, string]): string => `${u[0]}:${u[1]}`;

/** Grants are identified by their cti (DESIGN.md): two grantors may use one reservation id. */
export const grantKey = (g: { cti: Uint8Array }): string => Buffer.from(g.cti).toString('hex');
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class PresenceTracker {
  readonly policy: PresencePolicy;
  private readonly episodes = new Map<string, Episode>();
  private readonly grants = new Map<string, GrantState>();
  private readonly budgets: PresenceBudgets;
  private readonly watch: SpoofingWatch;
  private lastOccupied: PhysicalEvidence | undefined;
  /** Since when the physical sensors have read the place occupied without a break; undefined while clear. */
  private occupiedSince: number | undefined;
  /** The latest verified acceptance per unit (only for tracked grants, so bounded by them). */
  private readonly acceptances = new Map<string, { h: string; t: number }>();

  constructor(holdMs: number, policy: Partial<Omit<PresencePolicy, 'holdMs'>> = {}) {
    this.policy = { ...DEFAULT_PRESENCE_POLICY, ...policy, holdMs };
    this.budgets = new PresenceBudgets(this.policy.budgets);
    this.watch = new SpoofingWatch(this.policy.maxSpeedMps, this.policy.tagConflictMs);
  }

  /** Adds a verified grant; `settled` restores how far it got before a restart. */
  addGrant(g: ReservationGrant, settled?: GrantSettlement): boolean {
    if (this.grants.has(grantKey(g))) return false;
    this.grants.set(grantKey(g), { grant: g, arrived: false, departed: false, noShow: false, overstay: false, attestations: 0, suspended: false, ...settled });
    // Its suspension was signed before a restart: it is not signed again.
    if (settled?.suspended) this.budgets.markSuspended('grant', g.reservation);
    return true;
  }

  /** What the place's and units' budgets had drawn in the current window before a restart (budgets.ts). */
  restoreBudgets(now: number, use: BudgetUse): void {
    this.budgets.restore(now, use);
  }

  /** Every tracked grant; dropGrant stops tracking one (revoked: no further attestation). */
  trackedGrants = (): ReservationGrant[] => [...this.grants.values()].map((s) => s.grant);
  dropGrant = (cti: Uint8Array): boolean => this.grants.delete(grantKey({ cti }));

  /** The tracked grants with this reservation id (one per grantor: grants are keyed by cti). */
  grantsFor(reservation: string): ReservationGrant[] {
    return [...this.grants.values()].filter((s) => s.grant.reservation === reservation).map((s) => s.grant);
  }

  /** How far each grant has been settled, to be kept with the grant across restarts. */
  grantStates(): Map<string, GrantSettlement> {
    const out = new Map<string, GrantSettlement>();
    for (const [id, s] of this.grants) {
      out.set(id, { arrived: s.arrived, departed: s.departed, noShow: s.noShow, overstay: s.overstay, attestations: s.attestations, suspended: s.suspended });
    }
    return out;
  }

  get activeEpisodes(): EpisodeView[] {
    return [...this.episodes.values()].map((e) => this.view(e));
  }

  get grantCount(): number {
    return this.grants.size;
  }

  observe(ev: PresenceEvidence): PresenceClaim[] {
    const key = unitKey(ev.unit);
    const flags = this.watch.check(key, ev.t, ev.source, ev.position, ev.open ?? true);
    const tolerance = Math.max(0, ...this.grantsOf(key).map((s) => s.grant.toleranceM));
    if (ev.distanceM > Math.max(this.policy.atPlaceM, tolerance)) return [];
    const ep = this.episodes.get(key) ?? this.open(ev.unit, key, ev.t, ev.distanceM);
    ep.lastSeen = Math.max(ep.lastSeen, ev.t);
    ep.minDistanceM = Math.min(ep.minDistanceM, ev.distanceM);
    for (const f of flags) ep.flags.add(f);
    if (ep.idConfs.length < 3 && ev.t - ep.lastIdT >= 1000) {
      ep.idConfs.push(ev.conf);
      ep.lastIdT = ev.t;
    }
    if (ep.evidence.length < MAX_EVIDENCE) ep.evidence.push({ src: ev.source, mod: ev.modality, t: ev.t, h: ev.digest });
    ep.sources.add(ev.source);
    if (ev.open === true) ep.openSightings.add(ev.source);
    if (ev.open === false) ep.openSightings.delete(ev.source);
    const out: PresenceClaim[] = [];
    this.settle(ep, ev.t, out);
    return out;
  }

  /** A verified acceptance of a tracked grant: identity evidence for its unit (AcceptanceEvidence says how far it counts). */
  observeAcceptance(a: AcceptanceEvidence): PresenceClaim[] {
    const s = this.grants.get(grantKey(a.grant));
    if (!s) return [];
    s.acceptance = a.hash;
    const key = unitKey(a.grant.unit);
    const ref = { h: Buffer.from(a.hash).toString('hex'), t: a.t };
    this.acceptances.set(key, ref);
    const near = a.distanceM !== undefined && a.distanceM <= Math.max(this.policy.atPlaceM, a.grant.toleranceM);
    const ep = this.episodes.get(key) ?? (near ? this.open(a.grant.unit, key, a.t, a.distanceM!) : undefined);
    const out: PresenceClaim[] = [];
    if (!ep) return out;
    ep.acceptance = ref;
    if (near) {
      ep.minDistanceM = Math.min(ep.minDistanceM, a.distanceM!);
      ep.lastSeen = Math.max(ep.lastSeen, a.t);
    }
    this.settle(ep, a.t, out);
    return out;
  }

  private open(unit: [string, string], key: string, t: number, distanceM: number): Episode {
    const acceptance = this.acceptances.get(key);
    const ep: Episode = { unit, key, openedAt: t, lastSeen: t, minDistanceM: distanceM, evidence: [], sources: new Set(), idConfs: [], lastIdT: -Infinity, flags: new Set(), openSightings: new Set(), refused: false, ...(acceptance ? { acceptance } : {}) };
    this.episodes.set(key, ep);
    if (this.episodes.size > MAX_EPISODES) this.evictStalest();
    return ep;
  }

  /** The place's physical occupancy changed or was read again; open episodes may now be corroborated. */
  observePhysical(p: PhysicalEvidence): PresenceClaim[] {
    if (!p.occupied) {
      this.occupiedSince = undefined;
      return [];
    }
    this.occupiedSince ??= p.t;
    this.lastOccupied = p;
    const out: PresenceClaim[] = [];
    for (const ep of this.episodes.values()) {
      // A unit that arrived corroborated is still there while the place has stayed occupied
      // since it was last identified: a trailer badged in once stays until the bay clears.
      if (this.policy.physical && ep.credibleAt !== undefined && this.occupiedSince <= ep.lastSeen) ep.lastSeen = Math.max(ep.lastSeen, p.t);
      this.settle(ep, p.t, out);
    }
    return out;
  }

  /** Advances time: closes stale episodes, reports no-shows and overstays, forgets finished grants. */
  tick(now: number): PresenceClaim[] {
    const out: PresenceClaim[] = [];
    for (const [k, ep] of this.episodes) {
      if (ep.openSightings.size > 0) ep.lastSeen = Math.max(ep.lastSeen, now);
      if (now - ep.lastSeen <= this.policy.holdMs) {
        this.settle(ep, now, out);
        continue;
      }
      this.episodes.delete(k);
      // Gone before it ever became credible (one read, never corroborated): it still gets its one refusal.
      if (ep.credibleAt === undefined) this.refuseNotCredible(ep, now, out);
      for (const s of this.grantsOf(k)) {
        if (!s.arrived || s.departed) continue;
        s.departed = true;
        const g = s.grant;
        if (this.draw(now, s, out)) out.push(this.attestation('departed', s, ep, ep.lastSeen, ep.lastSeen <= g.window[1] + g.graceMs));
      }
    }
    for (const [id, s] of this.grants) {
      const g = s.grant;
      const ep = this.episodes.get(unitKey(g.unit));
      if (!s.arrived && !s.noShow && now > g.window[1]) {
        s.noShow = true;
        if (this.draw(now, s, out)) out.push({ kind: 'presence', event: 'no-show', grant: g, ...named(s), temporal: { measuredMs: now, window: g.window, graceMs: g.graceMs, ok: false } });
      }
      // Overstay rests on evidence from after end + grace (a report, or a sighting still open),
      // not on an episode merely not yet closed: a unit gone at the window's end is no overstay.
      if (s.arrived && !s.departed && !s.overstay && ep && ep.lastSeen > g.window[1] + g.graceMs) {
        s.overstay = true;
        if (this.draw(now, s, out)) out.push(this.attestation('overstay', s, ep, ep.lastSeen, false));
      }
      // A grant is finished once settled and its window (plus grace and hold) is over; it is
      // kept an hour longer so a unit turning up late is told `outside-window`, not `no-grant`.
      if (now > g.window[1] + g.graceMs + Math.max(this.policy.holdMs, LATE_REFUSAL_MS) && (s.departed || s.noShow || !ep)) {
        this.grants.delete(id);
        if (s.acceptance && this.acceptances.get(unitKey(g.unit))?.h === Buffer.from(s.acceptance).toString('hex')) this.acceptances.delete(unitKey(g.unit));
      }
    }
    return out;
  }

  private grantsOf(key: string): GrantState[] {
    return [...this.grants.values()].filter((s) => unitKey(s.grant.unit) === key);
  }

  /** Confidence and corroboration of an episode as it stands (see the file comment). */
  private judge(ep: Episode): { conf: number; corroborated: boolean; credible: boolean } {
    // An acceptance adds to who the unit is, never to how many radio readings saw it (the file comment).
    const idConf = noisyOr(ep.acceptance ? [...ep.idConfs, this.policy.acceptanceConf] : ep.idConfs);
    const p = this.lastOccupied;
    const corroborated =
      this.policy.physical && p !== undefined && !p.sources.some((s) => ep.sources.has(s)) && p.t >= ep.openedAt - this.policy.holdMs && p.t <= ep.lastSeen + this.policy.holdMs;
    let conf = corroborated ? noisyOr([idConf, p!.conf]) : idConf * (this.policy.physical ? 1 : this.policy.uncorroboratedFactor);
    conf = round3(conf * 0.5 ** ep.flags.size);
    const enough = corroborated || (!this.policy.physical && ep.idConfs.length >= 2);
    return { conf, corroborated, credible: enough && conf >= this.policy.minConfidence };
  }

  private settle(ep: Episode, now: number, out: PresenceClaim[]): void {
    const j = this.judge(ep);
    if (!j.credible) {
      // Corroboration had the hold time to come; without it, one refusal says why.
      if (now - ep.openedAt >= this.policy.holdMs) this.refuseNotCredible(ep, now, out);
      return;
    }
    ep.credibleAt ??= now;
    const mine = this.grantsOf(ep.key);
    if (mine.length === 0) {
      this.refuse(ep, 'no-grant', now, out, undefined, { distance_m: ep.minDistanceM }, {});
      return;
    }
    for (const s of mine) {
      if (s.arrived || s.departed) continue;
      const g = s.grant;
      const [start, end] = g.window;
      const required = { window_start: start, window_end: end, grace_ms: g.graceMs, tolerance_m: g.toleranceM };
      if (now < start - g.graceMs) continue; // early: it waits for its window
      if (s.noShow || now > end) {
        this.refuse(ep, 'outside-window', now, out, g, { t: now, distance_m: ep.minDistanceM }, required);
        continue;
      }
      if (ep.minDistanceM > g.toleranceM) {
        this.refuse(ep, 'outside-tolerance', now, out, g, { t: now, distance_m: ep.minDistanceM }, required);
        continue;
      }
      if (!this.draw(now, s, out)) continue;
      s.arrived = true;
      const measuredMs = Math.max(ep.credibleAt, start - g.graceMs);
      const late = measuredMs - (start + g.graceMs);
      // Within tolerance (checked above), so its spatial check is ok.
      out.push({ ...this.attestation('arrived', s, ep, measuredMs, true), ...(late > 0 ? { lateMs: late } : {}) });
    }
  }

  /** An episode measured against its grant: where the unit came (the spatial check) and when (`measuredMs`, judged `temporalOk`). */
  private attestation(event: 'arrived' | 'departed' | 'overstay', s: GrantState, ep: Episode, measuredMs: number, temporalOk: boolean): PresenceClaim {
    const g = s.grant;
    return {
      kind: 'presence',
      event,
      grant: g,
      ...named(s),
      episode: this.view(ep),
      spatial: { measuredM: ep.minDistanceM, requiredM: g.toleranceM, ok: ep.minDistanceM <= g.toleranceM },
      temporal: { measuredMs, window: g.window, graceMs: g.graceMs, ok: temporalOk },
    };
  }

  private refuseNotCredible(ep: Episode, now: number, out: PresenceClaim[]): void {
    if (ep.refused) return;
    if (this.policy.physical && !this.judge(ep).corroborated) ep.flags.add('no-physical-evidence');
    this.refuse(ep, 'not-credible', now, out, undefined, { conf: this.judge(ep).conf }, { min_conf: this.policy.minConfidence });
  }

  private refuse(ep: Episode, reason: RefusalReason, now: number, out: PresenceClaim[], grant: ReservationGrant | undefined, measured: Record<string, number>, required: Record<string, number>): void {
    if (ep.refused) return;
    ep.refused = true;
    if (!this.budgets.draw(now, ep.unit, out as SuspensionClaim[])) return;
    out.push({ kind: 'reservation', unit: ep.unit, reason, ...(grant !== undefined ? { reservation: grant.reservation, grant } : {}), measured, required, episode: this.view(ep) });
  }

  private draw(now: number, s: GrantState, out: PresenceClaim[]): boolean {
    const before = out.length;
    const ok = this.budgets.draw(now, s.grant.unit, out as SuspensionClaim[], { reservation: s.grant.reservation, used: s.attestations });
    if (ok) s.attestations++;
    else if (out.slice(before).some((c) => c.kind === 'suspension' && c.scope === 'grant')) s.suspended = true;
    return ok;
  }

  private view(ep: Episode): EpisodeView {
    const j = this.judge(ep);
    return {
      unit: ep.unit,
      openedAt: ep.openedAt,
      lastSeen: ep.lastSeen,
      minDistanceM: ep.minDistanceM,
      evidence: [
        ...ep.evidence,
        ...(ep.acceptance ? [{ src: 'acceptance', mod: 'acceptance' as const, t: ep.acceptance.t, h: ep.acceptance.h }] : []),
        ...(j.corroborated && this.lastOccupied ? [physicalRef(this.lastOccupied)] : []),
      ],
      sources: [...new Set([...ep.sources, ...(j.corroborated ? this.lastOccupied!.sources : [])])].sort(),
      corroborated: j.corroborated,
      conf: j.conf,
      flags: [...ep.flags].sort(),
    };
  }

  private evictStalest(): void {
    let stalest: Episode | undefined;
    for (const e of this.episodes.values()) if (!stalest || e.lastSeen < stalest.lastSeen) stalest = e;
    if (stalest) this.episodes.delete(stalest.key);
  }
}

const physicalRef = (p: PhysicalEvidence): EvidenceRef => ({ src: p.sources.join('+'), mod: p.modality, t: p.t, h: p.digest });

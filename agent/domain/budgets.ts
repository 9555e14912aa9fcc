/**
 * Presence budgets (DESIGN.md, "Presence and settlement windows"): how many attestations and
 * refusals the place, one unit and one grant may draw. The place and unit budgets count per
 * budget window (fixed windows of `windowMs` from the epoch); a grant's counts over its life
 * (it is kept with the grant across restarts). The first draw refused in a window is recorded
 * as one `suspension`; later ones in the same window are refused silently. What a window had
 * drawn survives a restart: the agent rebuilds it from its chain (runtime/budget-replay.ts).
 */
export interface BudgetLimits {
  windowMs: number;
  perPlace: number;
  perUnit: number;
  perGrant: number;
}

export interface SuspensionClaim {
  kind: 'suspension';
  scope: 'place' | 'unit' | 'grant';
  /** The unit `scheme:id`, the reservation id, or `place`. */
  key: string;
  unit?: [string, string];
  reservation?: string;
  budget: number;
  window: [number, number];
}

/** What was drawn in one budget window, rebuilt from the chain after a restart. */
export interface BudgetUse {
  /** `scheme:id` of the unit each signed attestation or refusal was drawn for, one entry per draw. */
  units: string[];
  /** The suspensions signed, as `scope` and `key`. */
  suspensions: { scope: SuspensionClaim['scope']; key: string }[];
}

/** Units tracked per window: past this the oldest are forgotten (the place budget still binds them). */
const MAX_UNITS = 10_000;

export class PresenceBudgets {
  private windowStart = -Infinity;
  private placeUsed = 0;
  private readonly unitUsed = new Map<string, number>();
  private readonly suspended = new Set<string>();

  constructor(readonly limits: BudgetLimits) {}

  /**
   * Draws one claim for `unit` (and `grant`, whose lifetime count the caller keeps). Returns
   * true when it may be signed; otherwise false, with at most one suspension per scope, key and
   * window pushed to `out`.
   */
  draw(now: number, unit: [string, string], out: SuspensionClaim[], grant?: { reservation: string; used: number }): boolean {
    this.roll(now);
    const window: [number, number] = [this.windowStart, this.windowStart + this.limits.windowMs];
    const unitKey = `${unit[0]}:${unit[1]}`;
    const refuse = (scope: SuspensionClaim['scope'], key: string, budget: number, extra: Partial<SuspensionClaim>): false => {
      const id = `${scope}\u0000${key}`;
      if (!this.suspended.has(id)) {
        this.suspended.add(id);
        out.push({ kind: 'suspension', scope, key, budget, window, ...extra });
      }
      return false;
    };
    if (this.placeUsed >= this.limits.perPlace) return refuse('place', 'place', this.limits.perPlace, {});
    if (grant && grant.used >= this.limits.perGrant) return refuse('grant', grant.reservation, this.limits.perGrant, { reservation: grant.reservation, unit });
    const used = this.unitUsed.get(unitKey) ?? 0;
    if (used >= this.limits.perUnit) return refuse('unit', unitKey, this.limits.perUnit, { unit });
    this.placeUsed++;
    this.unitUsed.delete(unitKey);
    this.unitUsed.set(unitKey, used + 1);
    if (this.unitUsed.size > MAX_UNITS) this.unitUsed.delete(this.unitUsed.keys().next().value!);
    return true;
  }

  /**
   * Takes up the current window where a previous run left it (the draws and suspensions it
   * signed), so a restart neither resets the budgets nor signs a suspension twice.
   */
  restore(now: number, use: BudgetUse): void {
    this.roll(now);
    this.placeUsed += use.units.length;
    for (const u of use.units) {
      this.unitUsed.delete(u);
      this.unitUsed.set(u, (this.unitUsed.get(u) ?? 0) + 1);
      if (this.unitUsed.size > MAX_UNITS) this.unitUsed.delete(this.unitUsed.keys().next().value!);
    }
    for (const s of use.suspensions) this.markSuspended(s.scope, s.key);
  }

  markSuspended(scope: SuspensionClaim['scope'], key: string): void {
    this.suspended.add(`${scope}\u0000${key}`);
  }

  private roll(now: number): void {
    const start = Math.floor(now / this.limits.windowMs) * this.limits.windowMs;
    if (start === this.windowStart) return;
    this.windowStart = start;
    this.placeUsed = 0;
    this.unitUsed.clear();
    // A grant's suspension is for its life; place and unit suspensions end with the window.
    for (const id of this.suspended) if (!id.startsWith('grant\u0000')) this.suspended.delete(id);
  }
}

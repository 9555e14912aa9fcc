/**
 * The presence budgets of the current window, rebuilt at start from what this agent signed in
 * it (DESIGN.md, "Presence and settlement windows": budgets cap attestations and refusals per
 * window). Each draw the budgets allowed is exactly one committed observation: an attestation
 * (kind `presence`), a refusal (kind `reservation` with a `unit` and no `event`), and each
 * suspension is one `suspension` observation. Those were committed in the same transaction as
 * their lineage head, so the chain is the budget's durable record and no second table can
 * disagree with it. Grants' own counts travel with the grant (grant-store.ts settlement).
 *
 * Limits: an observation pruned by retention inside the window is not counted (retention is at
 * least a day; a window longer than the retention period is under-counted after a restart).
 */
import type { ObservationStore } from '../store/store.ts';
import type { BudgetUse } from '../domain/budgets.ts';
import type { PresenceTracker } from '../domain/presence.ts';
import type { ErrorCounter } from '../../core/coded-error.ts';
import { RuntimeErrorCode } from './errors.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { CLAIM } from '../lineage/observation-types.ts';

const SCOPES = new Set(['place', 'unit', 'grant']);

function bodyOf(bytes: Uint8Array, use: { unreadable: number }): Map<unknown, unknown> | undefined {
  try {
    const body = (decodeCbor(decodeSign1(bytes).payload) as Map<unknown, unknown>).get(CLAIM.body);
    if (body instanceof Map) return body;
  } catch {
    // Counted below: the agent's own committed rows should always decode.
  }
  use.unreadable++;
  return undefined;
}

const unitKey = (u: unknown): string | undefined => (Array.isArray(u) && u.length === 2 && u.every((x) => typeof x === 'string') ? `${u[0]}:${u[1]}` : undefined);

/** What the budget window starting at `windowStart` (ms) drew, from the observations signed since; `unreadable` rows are counted, not guessed. */
export function replayBudgetUse(store: ObservationStore, windowStart: number): BudgetUse & { unreadable: number } {
  const use: BudgetUse & { unreadable: number } = { units: [], suspensions: [], unreadable: 0 };
  for (const kind of ['presence', 'reservation'] as const) {
    for (const { bytes } of store.observationsOfKindSince(kind, windowStart)) {
      const body = bodyOf(bytes, use);
      // A grant's answer (grant-accepted, grant-refused) draws nothing; a refusal has no event.
      if (!body || (kind === 'reservation' && body.has('event'))) continue;
      const unit = unitKey(body.get('unit'));
      if (unit) use.units.push(unit);
    }
  }
  for (const { bytes } of store.observationsOfKindSince('suspension', windowStart)) {
    const body = bodyOf(bytes, use);
    const scope = body?.get('scope');
    const key = body?.get('key');
    if (typeof scope === 'string' && SCOPES.has(scope) && typeof key === 'string') use.suspensions.push({ scope: scope as BudgetUse['suspensions'][number]['scope'], key });
  }
  return use;
}

/** The current budget window takes up where the last run left it. */
export function restoreBudgets(presence: PresenceTracker, store: ObservationStore, now: number, errors: ErrorCounter<RuntimeErrorCode>): void {
  const windowMs = presence.policy.budgets.windowMs;
  const use = replayBudgetUse(store, Math.floor(now / windowMs) * windowMs);
  if (use.unreadable) errors.count(RuntimeErrorCode.BUDGET_REPLAY_UNREADABLE, use.unreadable);
  presence.restoreBudgets(now, use);
}

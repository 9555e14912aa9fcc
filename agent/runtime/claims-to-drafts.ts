/** Turns domain claims into observation drafts: the kind-specific bodies (text keys) are documented here. */
import { CborFloat, type CborValue } from '../encoding/cbor-value.ts';
import type { ObservationDraft, TimeQuality } from '../lineage/observation.ts';
import type { PresenceClaim } from '../domain/presence.ts';

const f = (x: number): CborValue => (Number.isInteger(x) ? x : new CborFloat(Math.round(x * 100) / 100));

/**
 * presence body: event, reservation, unit [scheme, id], spatial {measured_m, required_m, ok},
 * temporal {measured_ms, window [start, end], grace_ms, ok}, episode {opened, last_seen,
 * sources}, evidence [sha-256 hex of the readings]; the grant's nonce is echoed in claim 10.
 * reservation body: unit, reason, reservation?, measured {...}, required {...}, evidence.
 * suspension body: reservation, unit, budget.
 */
export function presenceDraft(c: PresenceClaim, place: string, now: number, tq: TimeQuality): ObservationDraft {
  if (c.kind === 'reservation') {
    const measured: { [k: string]: CborValue } = {};
    for (const [k, v] of Object.entries(c.measured)) measured[k] = f(v);
    const required: { [k: string]: CborValue } = {};
    for (const [k, v] of Object.entries(c.required)) required[k] = f(v);
    return {
      kind: 'reservation',
      place,
      t: now,
      tq,
      body: { unit: [...c.unit], reason: c.reason, ...(c.reservation ? { reservation: c.reservation } : {}), measured, required, evidence: c.evidence },
    };
  }
  if (c.kind === 'suspension') {
    return { kind: 'suspension', place, t: now, tq, body: { reservation: c.reservation, unit: [...c.unit], budget: c.budget, reason: 'attestation budget exhausted' } };
  }
  const g = c.grant;
  const temporal = { measured_ms: c.temporal.measuredMs, window: [...g.window], grace_ms: g.graceMs, ok: c.temporal.ok };
  const body: { [k: string]: CborValue } = { event: c.event, reservation: g.reservation, unit: [...g.unit], temporal };
  if (c.event !== 'no-show') {
    body.spatial = { measured_m: f(c.spatial.measuredM), required_m: f(c.spatial.requiredM), ok: c.spatial.ok };
    body.episode = { opened: c.episode.openedAt, last_seen: c.episode.lastSeen, sources: [...c.episode.sources].sort() };
    body.evidence = [...c.episode.evidence];
  }
  return { kind: 'presence', place, t: now, tq, body, nonce: g.nonce };
}

export function summarise(kind: string, body: Record<string, unknown>): string {
  switch (kind) {
    case 'presence':
      return `${String(body.event)} ${(body.unit as string[]).join(':')} reservation ${String(body.reservation)}`;
    case 'reservation':
      return `${(body.unit as string[]).join(':')} refused: ${String(body.reason)}`;
    case 'checkpoint':
      return `head ${String(body.head_seq)} epoch ${String(body.epoch)}`;
    case 'status':
      return String(body.event ?? '');
    case 'suspension':
      return `budget exhausted for ${String(body.reservation)}`;
    default:
      return '';
  }
}

/** Turns domain claims into observation drafts: the kind-specific bodies (text keys) are documented here. */
import { CborFloat, type CborValue } from '../encoding/cbor-value.ts';
import type { ObservationDraft, TimeQuality } from '../lineage/observation.ts';
import type { EpisodeView, PresenceClaim } from '../domain/presence.ts';

const f = (x: number): CborValue => (Number.isInteger(x) ? x : new CborFloat(Math.round(x * 100) / 100));

const evidenceList = (ep: EpisodeView): CborValue[] => ep.evidence.map((e) => ({ src: e.src, mod: e.mod, t: e.t, h: e.h }));
const modalities = (ep: EpisodeView): string[] => [...new Set(ep.evidence.map((e) => e.mod))].sort();

/**
 * presence body (DESIGN.md, "Proximity attestation"): event, unit [scheme, id], reservation,
 * grant (h(grant)), acceptance (h(acceptance), once the unit's acceptance is verified), window, spatial {measured_m, required_m, ok}, temporal {measured_ms, window, grace_ms, ok},
 * evidence [{src, mod, t, h}] (h: SHA-256 of the reading), modalities, corroborated, conf,
 * flags (spoofing signals), late_ms when the arrival came after start + grace; the grant's
 * nonce is echoed in claim 10.
 * reservation body (a refusal): unit, reason, reservation?, grant?, measured {...}, required {...},
 * evidence, modalities, corroborated, conf, flags; or, answering a grant received (DESIGN.md,
 * "Reservation grant"): event grant-accepted | grant-refused, grant h(grant), reservation?, reason?.
 * suspension body: scope (place | unit | grant), key, budget, window, unit?, reservation?.
 */
export function presenceDraft(c: PresenceClaim, place: string, now: number, tq: TimeQuality): ObservationDraft {
  if (c.kind === 'reservation') {
    const measured: { [k: string]: CborValue } = {};
    for (const [k, v] of Object.entries(c.measured)) measured[k] = f(v);
    const required: { [k: string]: CborValue } = {};
    for (const [k, v] of Object.entries(c.required)) required[k] = f(v);
    const ep = c.episode;
    return {
      kind: 'reservation',
      place,
      t: now,
      tq,
      body: {
        unit: [...c.unit],
        reason: c.reason,
        ...(c.reservation ? { reservation: c.reservation } : {}),
        ...(c.grant ? { grant: c.grant.hash } : {}),
        measured,
        required,
        evidence: evidenceList(ep),
        modalities: modalities(ep),
        corroborated: ep.corroborated,
        conf: new CborFloat(ep.conf),
        flags: ep.flags,
      },
    };
  }
  if (c.kind === 'suspension') {
    return {
      kind: 'suspension',
      place,
      t: now,
      tq,
      body: {
        scope: c.scope,
        key: c.key,
        budget: c.budget,
        window: [...c.window],
        ...(c.unit ? { unit: [...c.unit] } : {}),
        ...(c.reservation ? { reservation: c.reservation } : {}),
        reason: `${c.scope} budget exhausted`,
      },
    };
  }
  const g = c.grant;
  const temporal = { measured_ms: c.temporal.measuredMs, window: [...g.window], grace_ms: g.graceMs, ok: c.temporal.ok };
  const body: { [k: string]: CborValue } = { event: c.event, reservation: g.reservation, grant: g.hash, unit: [...g.unit], window: [...g.window], temporal };
  if (c.acceptance) body.acceptance = c.acceptance;
  if (c.event !== 'no-show') {
    const ep = c.episode;
    body.spatial = { measured_m: f(c.spatial.measuredM), required_m: f(c.spatial.requiredM), ok: c.spatial.ok };
    body.episode = { opened: ep.openedAt, last_seen: ep.lastSeen, sources: ep.sources };
    body.evidence = evidenceList(ep);
    body.modalities = modalities(ep);
    body.corroborated = ep.corroborated;
    body.conf = new CborFloat(ep.conf);
    body.flags = ep.flags;
    if (c.event === 'arrived' && c.lateMs !== undefined) body.late_ms = c.lateMs;
  }
  return { kind: 'presence', place, t: now, tq, body, nonce: g.nonce };
}

/** The answer on the chain to a grant received (DESIGN.md, "Reservation grant"). */
export function grantAnswerBody(accepted: boolean, hash: Uint8Array, reservation: string | undefined, reason?: string): { [k: string]: CborValue } {
  return {
    event: accepted ? 'grant-accepted' : 'grant-refused',
    grant: hash,
    ...(reservation !== undefined ? { reservation } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

export function summarise(kind: string, body: Record<string, unknown>): string {
  switch (kind) {
    case 'presence':
      return `${String(body.event)} ${(body.unit as string[]).join(':')} reservation ${String(body.reservation)}`;
    case 'reservation':
      if (typeof body.event === 'string') return `${body.event} ${String(body.reservation ?? '')}${body.reason ? `: ${String(body.reason)}` : ''}`;
      return `${(body.unit as string[] | undefined)?.join(':') ?? ''} refused: ${String(body.reason)}${(body.flags as string[] | undefined)?.length ? ` [${(body.flags as string[]).join(', ')}]` : ''}`;
    case 'checkpoint':
      return `head ${String(body.head_seq)} epoch ${String(body.epoch)}`;
    case 'status':
      return String(body.event ?? '');
    case 'suspension':
      return `${String(body.scope)} budget exhausted (${String(body.key)})`;
    default:
      return '';
  }
}

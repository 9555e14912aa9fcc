/**
 * Where a reading goes, by what the configuration declares its source to be: into the
 * envelope's (source, point) store when a dimension reads it; into presence as identity
 * evidence when the source names units (AIS, RFID); into presence as physical evidence (occupied
 * or clear) when it feeds the `occupied` dimension's physical rules. No field of the reading decides this.
 */
import { createHash } from 'node:crypto';
import type { Reading } from '../../core/reading.ts';
import type { EnvelopeBuilder } from '../domain/envelope.ts';
import { feedMatches, pointOf } from '../domain/place-profile.ts';
import { identityEvidence, type IdentityScheme } from '../domain/identity-evidence.ts';
import type { PresenceClaim, PresenceTracker } from '../domain/presence.ts';

export class ReadingRouter {
  private readonly physicalSources: Set<string>;

  constructor(
    private readonly envelope: EnvelopeBuilder,
    private readonly presence: PresenceTracker,
    private readonly identity: Map<string, IdentityScheme>,
  ) {
    this.physicalSources = new Set(envelope.physicalFeeds.map((f) => f.source));
  }

  /** Whether the place has a physical sensor that corroborates presence. */
  get hasPhysicalSensor(): boolean {
    return this.physicalSources.size > 0;
  }

  route(r: Reading): { envelopeFed: boolean; claims: PresenceClaim[] } {
    const envelopeFed = this.envelope.ingest(r);
    const claims: PresenceClaim[] = [];
    const scheme = this.identity.get(r.source);
    if (scheme) {
      const ev = identityEvidence(r, scheme, { ...(this.envelope.profile.anchor ? { anchor: this.envelope.profile.anchor } : {}), reliability: this.envelope.profile.reliability, digest: digestOf(r) });
      if (ev) claims.push(...this.presence.observe(ev));
    } else if (envelopeFed && this.physicalSources.has(r.source) && this.envelope.physicalFeeds.some((f) => feedMatches(f, r, pointOf(r)))) {
      const p = this.envelope.physicalOccupancy(r);
      // The evidence is the reading that decided the fused occupancy, not the one that happened
      // to trigger this update (a meter poll beside the plug contact that decided it).
      if (p) claims.push(...this.presence.observePhysical({ t: p.t, occupied: p.value === true, conf: p.conf, sources: p.sources, modality: p.decidedBy.modality, digest: digestOf(p.decidedBy) }));
    }
    return { envelopeFed, claims };
  }
}

/** SHA-256 over the reading as received (source, time, value), hex: the evidence digest an attestation cites. */
export function digestOf(r: Reading): string {
  return createHash('sha256').update(JSON.stringify({ s: r.source, t: r.t, v: r.value })).digest('hex');
}

/**
 * Acceptances arriving at the gateway on `pm/v1/<place>/accept/<reservation id>` (DESIGN.md,
 * "Acceptance" and the 16 KiB bound): bounded before decoding, verified at a bounded rate per
 * topic (agent/authority/acceptance.ts verifyAcceptance) against the tracked grant it names for
 * that reservation, kept with the grant, and handed to presence as identity evidence for the
 * grant's unit. A refusal is counted under its code (ACCEPT_*, COSE_*, CHAIN_*) and logged at a
 * bounded rate, never thrown; nothing about it is signed (an acceptance answers a grant, the
 * agent does not answer it).
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { codeOf, type ErrorCounter } from '../../core/coded-error.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import type { ChainVerify } from '../authority/chain-cache.ts';
import type { ReservationGrant } from '../authority/grant.ts';
import { verifyAcceptance, type Acceptance, type AcceptanceCheck } from '../authority/acceptance.ts';
import { distanceM } from '../domain/evidence.ts';
import type { GrantStore } from '../store/grant-store.ts';
import { acceptTopic } from '../transport/topics.ts';
import { MAX_INBOUND_BYTES, RateLimit } from './grant-intake.ts';

export interface AcceptanceIntakeOptions {
  place: string;
  anchors: TrustAnchor[];
  chains: ChainVerify;
  clock: Clock;
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  grants: GrantStore;
  /** The tracked grants with this reservation id (one per grantor). */
  grantsFor: (reservation: string) => ReservationGrant[];
  /** The place's reference point: an acceptance's own position is measured from it. */
  anchor?: { lat: number; lon: number };
  /** A position older than this (the presence hold time) does not place the unit now. */
  freshMs: number;
  /** A verified acceptance for `grant`; `distanceM` when its own fresh position bounds the unit's distance. */
  accept: (grant: ReservationGrant, a: Acceptance, distanceM: number | undefined) => void;
  perTopic?: { burst: number; perSec: number };
}

export class AcceptanceIntake {
  private readonly topics = new Map<string, RateLimit>();
  /** h() of acceptances taken since start, bounded: a redelivered one is evidence once. */
  private readonly taken = new Set<string>();
  private readonly logged = new Map<string, number>();

  constructor(private readonly o: AcceptanceIntakeOptions) {}

  /** From a topic, or from the store at start (verified again: a credential may have been revoked or expired). */
  receive(bytes: Uint8Array, via: { topic: string } | { stored: true; reservation: string }): boolean {
    if (bytes.length === 0) return false; // a cleared retained message
    const now = this.o.clock.now();
    if (bytes.length > MAX_INBOUND_BYTES) return this.reject('ACCEPT_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_INBOUND_BYTES}-byte bound; not decoded`, via);
    let reservation: string;
    if ('topic' in via) {
      const prefix = acceptTopic(this.o.place, '');
      if (!via.topic.startsWith(prefix) || via.topic.length === prefix.length) return this.reject('ACCEPT_BAD_TOPIC', `not an acceptance topic of ${this.o.place}`, via);
      reservation = via.topic.slice(prefix.length);
      let bucket = this.topics.get(via.topic);
      if (!bucket) {
        if (this.topics.size > 4096) this.topics.clear();
        this.topics.set(via.topic, (bucket = new RateLimit(this.o.perTopic?.burst ?? 8, this.o.perTopic?.perSec ?? 1, now)));
      }
      if (!bucket.take(now)) return this.reject('ACCEPT_RATE_LIMITED', `over the rate on ${via.topic}; not verified`, via);
    } else reservation = via.reservation;
    const grants = this.o.grantsFor(reservation);
    if (grants.length === 0) return this.reject('ACCEPT_NO_GRANT', `no tracked grant for reservation ${reservation}`, via);
    // The grant it names among those of this reservation id; the refusal that says most if none.
    let found: { grant: ReservationGrant; acceptance: Acceptance } | undefined;
    let refusal: Extract<AcceptanceCheck, { ok: false }> | undefined;
    for (const grant of grants) {
      const r = verifyAcceptance(bytes, this.o.anchors, { grant, nowMs: now, chains: this.o.chains });
      if (r.ok) {
        found = { grant, acceptance: r.acceptance };
        break;
      }
      if (!refusal || refusal.code === 'ACCEPT_GRANT_MISMATCH') refusal = r;
    }
    if (!found) return this.reject(refusal!.code, refusal!.reason, via);
    const { grant, acceptance: a } = found;
    const key = Buffer.from(a.hash).toString('hex');
    if (this.taken.has(key)) {
      this.o.errors.count('ACCEPT_DUPLICATE');
      return false;
    }
    if (this.taken.size >= 8192) this.taken.clear();
    this.taken.add(key);
    try {
      if ('topic' in via) this.o.grants.saveAcceptance(grant.cti, bytes);
    } catch (e) {
      // Still evidence now; a restart will not know it.
      this.o.errors.count(codeOf(e, RuntimeErrorCode.ACCEPT_STORE_FAILED));
      this.o.logger.error('acceptance could not be stored', { reservation, error: e as Error });
    }
    const loc = a.location;
    const fresh = loc && this.o.anchor && now - loc.t <= this.o.freshMs && loc.t <= now + this.o.freshMs;
    // The distance bound adds the position's own stated accuracy, as for AIS (identity-evidence.ts).
    const d = fresh ? distanceM(loc, this.o.anchor!) + loc.accuracyM : undefined;
    this.o.logger.info('acceptance verified', { reservation, unit: a.unit.join(':'), iss: a.iss, ...(d !== undefined ? { distanceM: Math.round(d) } : {}) });
    this.o.accept(grant, a, d);
    return true;
  }

  /** Counts the refusal and logs it, at most one line per code every 10 s. */
  private reject(code: AgentCountedCode, reason: string, via: { topic: string } | { stored: true }): false {
    this.o.errors.count(code);
    const now = this.o.clock.now();
    if (now - (this.logged.get(code) ?? -Infinity) >= 10_000) {
      this.logged.set(code, now);
      this.o.logger.warn('acceptance refused', { code, reason, via: 'topic' in via ? via.topic : 'store' });
    }
    return false;
  }
}

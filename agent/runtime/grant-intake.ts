/**
 * Grants arriving at the gateway (DESIGN.md, "Reservation grant" and the 16 KiB bound): each is
 * bounded before it is decoded, verified at a bounded rate per topic with credential chains
 * cached, checked for nonce reuse and duplicates against the store, handed to presence
 * tracking by cti, and answered on the chain with a `reservation` observation
 * {event: grant-accepted | grant-refused, grant: h(grant), reservation, reason}. Bad input is
 * counted and logged (the log line itself rate-limited), never thrown.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { codeOf, type ErrorCounter } from '../../core/coded-error.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';
import { inBackground } from './background.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import { CredentialChainCache } from '../authority/chain-cache.ts';
import { verifyGrant, type ReservationGrant } from '../authority/grant.ts';
import type { GrantSettlement } from '../domain/presence.ts';
import type { GrantStore } from '../store/grant-store.ts';
import type { SignedObservation } from '../lineage/observation.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import { grantAnswerBody } from './claims-to-drafts.ts';
import type { GrantRevocationCode } from './revocation-intake.ts';

/** DESIGN.md, wire contract v1: an inbound signed object larger than this is refused undecoded. */
export const MAX_INBOUND_BYTES = 16 * 1024;

/** A token bucket: `burst` at once, refilled at `perSec`. */
export class RateLimit {
  private tokens: number;
  private last: number;
  constructor(
    private readonly burst: number,
    private readonly perSec: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface GrantIntakeOptions {
  place: string;
  anchors: TrustAnchor[];
  clock: Clock;
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  grants: GrantStore;
  /** Hands a verified grant to presence tracking; false when it is already tracked. */
  track: (g: ReservationGrant, settled?: GrantSettlement) => boolean;
  /** Signs a `reservation` observation on the chain. */
  answer: (body: { [k: string]: CborValue }) => Promise<SignedObservation | undefined>;
  /**
   * Whether a verified grant is revoked (DESIGN.md, "Revocation list"): its code
   * (GRANT_REVOKED by cti, GRANT_CREDENTIAL_REVOKED through its grantor's chain), or undefined.
   */
  revoked?: (g: ReservationGrant) => GrantRevocationCode | undefined;
  /** Verifications per topic: burst and sustained rate. */
  perTopic?: { burst: number; perSec: number };
  /** grant-refused answers on the chain: burst and sustained rate (a flood must not flood the chain). */
  refusals?: { burst: number; perSec: number };
}

export class GrantIntake {
  readonly chains: CredentialChainCache;
  private readonly topics = new Map<string, RateLimit>();
  private readonly refusalBudget: RateLimit;
  /** h() of grants already answered since start, bounded: a redelivered bad grant is answered once. */
  private readonly answered = new Set<string>();
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly o: GrantIntakeOptions) {
    this.chains = new CredentialChainCache(o.anchors);
    const r = o.refusals ?? { burst: 20, perSec: 0.5 };
    this.refusalBudget = new RateLimit(r.burst, r.perSec, o.clock.now());
  }

  /** A grant from a topic ('store' at start: already answered when it arrived). Returns whether it is now tracked. */
  receive(bytes: Uint8Array, via: { topic: string } | { stored: true; settlement?: string }): boolean {
    if (bytes.length === 0) return false; // a cleared retained message
    const now = this.o.clock.now();
    const fromStore = 'stored' in via;
    if (bytes.length > MAX_INBOUND_BYTES) return this.reject('GRANT_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_INBOUND_BYTES}-byte bound; not decoded`, via);
    if (!fromStore) {
      const limit = this.o.perTopic ?? { burst: 8, perSec: 1 };
      let bucket = this.topics.get(via.topic);
      if (!bucket) {
        if (this.topics.size > 4096) this.topics.clear();
        this.topics.set(via.topic, (bucket = new RateLimit(limit.burst, limit.perSec, now)));
      }
      if (!bucket.take(now)) return this.reject('GRANT_RATE_LIMITED', `more than ${limit.perSec}/s on ${via.topic}; not verified`, via);
    }
    const r = verifyGrant(bytes, this.o.anchors, now, { expectPlace: this.o.place, chains: this.chains.verify });
    if (!r.ok) {
      if (!fromStore && r.hash) this.answerOnce(r.hash, r.reservation, r.code, now);
      return this.reject(r.code, r.reason, via);
    }
    const g = r.grant;
    const revoked = this.o.revoked?.(g);
    if (revoked && (fromStore || this.o.grants.has(g.cti))) {
      // Answered when it was refused or its revocation arrived; not answered again.
      this.o.errors.count(revoked);
      return false;
    }
    if (revoked) {
      this.answerOnce(g.hash, g.reservation, revoked, now);
      return this.reject(revoked, 'the grant, or a credential of its grantor, is on a revocation list', via);
    }
    if (fromStore) {
      let settled: GrantSettlement | undefined;
      try {
        settled = via.settlement ? (JSON.parse(via.settlement) as GrantSettlement) : undefined;
      } catch {
        this.o.errors.count('GRANT_SETTLEMENT_UNREADABLE');
      }
      return this.o.track(g, settled);
    }
    if (this.o.grants.has(g.cti)) {
      // The same grant again (a retained message redelivered, a replay): known, answered once.
      this.o.errors.count('GRANT_DUPLICATE');
      return false;
    }
    const owner = this.o.grants.nonceOwner(g.nonce);
    if (owner) {
      this.answerOnce(g.hash, g.reservation, 'GRANT_NONCE_REUSED', now);
      return this.reject('GRANT_NONCE_REUSED', `nonce already used by grant ${Buffer.from(owner).toString('hex')}`, via);
    }
    if (g.window[1] + g.graceMs < now) {
      this.answerOnce(g.hash, g.reservation, 'GRANT_WINDOW_OVER', now);
      return this.reject('GRANT_WINDOW_OVER', 'the window and its grace have ended', via);
    }
    try {
      this.o.grants.save({ cti: g.cti, hash: g.hash, nonce: g.nonce, place: g.place, reservation: g.reservation, windowStart: g.window[0], windowEnd: g.window[1] + g.graceMs, bytes, receivedAt: now });
    } catch (e) {
      this.o.errors.count(codeOf(e, RuntimeErrorCode.GRANT_STORE_FAILED));
      this.o.logger.error('grant could not be stored; not tracked', { error: e as Error });
      return false;
    }
    const tracked = this.o.track(g);
    this.answered.add(Buffer.from(g.hash).toString('hex'));
    // Naming the grant is a store write, which can fail (a full disk): counted, never unhandled.
    inBackground('grant answer', () => this.o.answer(grantAnswerBody(true, g.hash, g.reservation)).then((obs) => obs && this.o.grants.named(g.hash, obs.seq)), this.o);
    this.o.logger.info('grant accepted', { reservation: g.reservation, unit: g.unit.join(':'), window: g.window, iss: g.iss });
    return tracked;
  }

  private answerOnce(hash: Uint8Array, reservation: string | undefined, code: string, now: number): void {
    const key = Buffer.from(hash).toString('hex');
    if (this.answered.has(key)) return;
    if (!this.refusalBudget.take(now)) {
      this.o.errors.count('GRANT_REFUSAL_UNRECORDED');
      return;
    }
    if (this.answered.size >= 8192) this.answered.clear();
    this.answered.add(key);
    void this.o.answer(grantAnswerBody(false, hash, reservation, code));
  }

  /** Counts the refusal and logs it, at most one line per code every 10 s (with how many were held back). */
  private reject(code: AgentCountedCode, reason: string, via: { topic: string } | { stored: true }): false {
    this.o.errors.count(code);
    const now = this.o.clock.now();
    const l = this.logged.get(code);
    if (l && now - l.at < 10_000) {
      l.suppressed++;
      return false;
    }
    this.logged.set(code, { at: now, suppressed: 0 });
    this.o.logger.warn('grant rejected', { code, reason, via: 'topic' in via ? via.topic : 'store', ...(l?.suppressed ? { suppressedSinceLast: l.suppressed } : {}) });
    return false;
  }
}

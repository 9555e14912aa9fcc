/**
 * Revocation lists arriving at the gateway (DESIGN.md, "Revocation list"): retained on
 * pm/v1/authority/<issuer kid hex>/revocations for each issuer the agent follows (its anchors,
 * the authorities above its own credential, and the grantors of the grants it tracks, at most
 * MAX_ISSUERS). Each message is bounded before it is decoded, rate-limited per topic, verified
 * (revocation.ts), required to come from the key its topic names, and kept only when its seq is
 * above the issuer's last one; the latest list per issuer is persisted (TrustState) so a restart
 * honours it before the broker answers. Refusals are counted by code and logged (rate-limited),
 * never thrown.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { ErrorCounter } from '../../core/coded-error.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import { CredentialChainCache } from '../authority/chain-cache.ts';
import { MAX_REVOCATION_BYTES, grantRevokedBy, revokedLink, verifyKeptRevocationList, verifyRevocationList, type RevocationList } from '../authority/revocation.ts';
import type { ReservationGrant } from '../authority/grant.ts';
import type { TrustState } from '../store/trust-state.ts';
import { revocationTopic } from '../transport/topics.ts';
import { RateLimit } from './grant-intake.ts';

export const MAX_ISSUERS = 64;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface RevocationIntakeOptions {
  anchors: TrustAnchor[];
  clock: Clock;
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  state: TrustState;
  /** Subscribes to a topic (the publisher's subscribe). */
  subscribe: (topic: string, handler: (topic: string, payload: Uint8Array) => void) => void;
  /** Told of each list accepted (a new issuer, or a higher seq). */
  onList: (list: RevocationList) => void;
}

export class RevocationIntake {
  private readonly held = new Map<string, RevocationList>();
  private readonly followed = new Set<string>();
  private readonly topics = new Map<string, RateLimit>();
  private readonly chains: CredentialChainCache;
  private readonly logged = new Map<string, number>();
  /** The latest message of each topic held back by its rate limit, looked at again once the limit allows. */
  private readonly deferred = new Map<string, Uint8Array>();
  private retry: NodeJS.Timeout | undefined;
  accepted = 0;

  constructor(private readonly o: RevocationIntakeOptions) {
    this.chains = new CredentialChainCache(o.anchors, 32);
  }

  /** The latest list of each issuer held. */
  lists(): RevocationList[] {
    return [...this.held.values()];
  }

  /**
   * The kept lists, verified again at their own iat (the issuer was entitled to them when it
   * made them; its credential may have expired since, and a revocation must not lapse with it).
   */
  loadKept(): void {
    let kept: Uint8Array[];
    try {
      kept = this.o.state.lists();
    } catch (e) {
      this.o.errors.count('REVOCATION_STATE_UNREADABLE');
      this.o.logger.error('kept revocation lists could not be read', { error: e as Error });
      return;
    }
    for (const bytes of kept) {
      const r = verifyKeptRevocationList(bytes, this.o.anchors);
      if (!r.ok) {
        this.o.errors.count(r.code);
        this.o.logger.warn('a kept revocation list does not verify; ignored', { code: r.code, reason: r.reason });
        continue;
      }
      const k = hex(r.list.kid);
      if ((this.held.get(k)?.seq ?? 0) < r.list.seq) this.held.set(k, r.list);
    }
  }

  /** Follows an issuer's topic (idempotent); past MAX_ISSUERS a new one is counted and not followed. */
  follow(kid: Uint8Array): void {
    const k = hex(kid);
    if (this.followed.has(k)) return;
    if (this.followed.size >= MAX_ISSUERS) {
      this.o.errors.count('REVOCATION_ISSUERS_FULL');
      return;
    }
    this.followed.add(k);
    this.o.subscribe(revocationTopic(k), (topic, payload) => this.receive(topic, payload));
  }

  get following(): number {
    return this.followed.size;
  }

  /** A message on an issuer's revocations topic. Returns whether a new list was accepted. */
  receive(topic: string, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return false; // a cleared retained message
    const now = this.o.clock.now();
    if (bytes.length > MAX_REVOCATION_BYTES) return this.refuse('REVOCATION_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_REVOCATION_BYTES}-byte bound; not decoded`, topic);
    let bucket = this.topics.get(topic);
    if (!bucket) this.topics.set(topic, (bucket = new RateLimit(16, 1, now)));
    if (!bucket.take(now)) {
      // Retained lists arrive once per subscription: a legitimate one behind a burst of junk on
      // its topic must not be lost, so the latest one waits (one per topic, bounded by MAX_ISSUERS).
      this.deferred.set(topic, bytes);
      this.retry ??= setTimeout(() => this.retryDeferred(), 1100).unref();
      return this.refuse('REVOCATION_RATE_LIMITED', 'more than 16 at once or 1 a second on this topic; looked at again shortly', topic);
    }
    const r = verifyRevocationList(bytes, this.o.anchors, now, { chains: this.chains.verify });
    if (!r.ok) return this.refuse(r.code, r.reason, topic);
    const list = r.list;
    const k = hex(list.kid);
    if (topic !== revocationTopic(k)) return this.refuse('REVOCATION_TOPIC_MISMATCH', `signed by key ${k}, not the issuer this topic names`, topic);
    const current = this.held.get(k);
    if (current) {
      if (Buffer.from(current.hash).equals(Buffer.from(list.hash))) return false; // the same list redelivered (retained)
      if (list.seq < current.seq) return this.refuse('REVOCATION_SEQ_OLD', `seq ${list.seq} is below the held list's ${current.seq}; ignored`, topic);
      if (list.seq === current.seq) return this.refuse('REVOCATION_SEQ_CONFLICT', `a different list with the held seq ${list.seq}; the first one is kept`, topic);
    }
    this.held.set(k, list);
    this.accepted++;
    try {
      this.o.state.saveList(k, bytes);
    } catch (e) {
      // Honoured now; after a restart it is honoured once the broker redelivers it.
      this.o.errors.count('REVOCATION_STATE_UNWRITABLE');
      this.o.logger.error('revocation list could not be kept on disk', { code: 'REVOCATION_STATE_UNWRITABLE', error: e as Error });
    }
    this.o.logger.info('revocation list accepted', { iss: list.iss, seq: list.seq, credentials: list.revoked.length, grants: list.grants.length });
    this.o.onList(list);
    return true;
  }

  private retryDeferred(): void {
    this.retry = undefined;
    const waiting = [...this.deferred];
    this.deferred.clear();
    for (const [topic, bytes] of waiting) this.receive(topic, bytes);
  }

  /** Stops the retry timer (at shutdown). */
  stop(): void {
    clearTimeout(this.retry);
    this.deferred.clear();
  }

  private refuse(code: AgentCountedCode, reason: string, topic: string): false {
    this.o.errors.count(code);
    const now = this.o.clock.now();
    if (now - (this.logged.get(code) ?? -Infinity) >= 10_000) {
      this.logged.set(code, now);
      this.o.logger.warn('revocation list refused', { code, reason, topic });
    }
    return false;
  }
}

/** Why a verified grant is revoked: by its cti, or through a credential of its grantor's chain. */
export type GrantRevocationCode = (typeof RuntimeErrorCode)['GRANT_CREDENTIAL_REVOKED' | 'GRANT_REVOKED'];

/** Why a verified grant may not be honoured under `lists`: GRANT_CREDENTIAL_REVOKED, GRANT_REVOKED, or undefined. */
export function grantRevocation(lists: RevocationList[], g: ReservationGrant): GrantRevocationCode | undefined {
  if (!g.chain || lists.length === 0) return undefined;
  if (revokedLink(lists, g.chain)) return 'GRANT_CREDENTIAL_REVOKED';
  return grantRevokedBy(lists, g.cti, g.chain) ? 'GRANT_REVOKED' : undefined;
}

/**
 * The agent's own credential while it runs (DESIGN.md, "Revocation list" and "Credential"):
 * - revoked: when a list that speaks for it (revocation.ts) names its credential or one of the
 *   parents, the agent stops attesting and says so once on its chain, a `status` observation
 *   {event: "credential-revoked", reason: "CREDENTIAL_REVOKED", ...}; "once" survives restarts
 *   (TrustState notices), and a credential once revoked stays revoked for this agent even if a
 *   later list drops it. Only a renewed credential that is not revoked lets it attest again.
 * - renewed: a new credential for the same key, subject and place, whose chain verifies now and
 *   is not revoked, replaces the old one without a restart; the chain goes on and the first
 *   observation under it says {event: "credential-renewed", previous, credential}. Anything
 *   else is refused with a coded error and the old credential kept.
 * - expiring: 7 days before the chain's earliest expiry, one `status` observation
 *   {event: "credential-expiring", reason: "CREDENTIAL_EXPIRES_SOON", expires_ms} per credential.
 * - expired: from the chain's earliest expiry on, nothing the agent signed would verify, so it
 *   signs nothing (not even a notice, which would not verify either); the error log, /status.json
 *   and the expiry gauge say so, and a renewed credential resumes the chain.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { ErrorCounter } from '../../core/coded-error.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import { objectHash } from '../encoding/cose-sign1.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import { chainLinks, revokedLink, type ChainLink, type RevocationList } from '../authority/revocation.ts';
import { checkOwnCredential, EXPIRY_WARNING_S } from '../authority/self-check.ts';
import { parseCredentialClaims } from '../authority/credential.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import type { Identity, SignedObservation } from '../lineage/observation.ts';
import type { TrustState } from '../store/trust-state.ts';
import { RuntimeError, type AgentCountedCode } from './errors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface OwnRevocation {
  /** h() of the credential the agent signed under. */
  credential: string;
  /** Which link of its chain is revoked: 0 the agent's own credential, 1 its parent, ... */
  link: number;
  /** The list that revoked it: issuer, issuer key id (hex), seq. */
  iss: string;
  kid: string;
  seq: number;
}

export interface CredentialKeeperOptions {
  identity: Identity;
  place: string;
  anchors: TrustAnchor[];
  clock: Clock;
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  state: TrustState;
  lists: () => RevocationList[];
  /** Signs a `status` observation whatever the revocation state (the one announcement). */
  announce: (body: { [k: string]: CborValue }) => Promise<SignedObservation | undefined>;
  /** Makes the chain sign under a renewed identity. */
  switchTo: (id: Identity) => void;
  /** Follows an issuer's revocations topic. */
  follow: (kid: Uint8Array) => void;
}

export class CredentialKeeper {
  identity: Identity;
  revoked: OwnRevocation | undefined;
  renewals = 0;
  private links: ChainLink[] = [];
  private signingKey: Uint8Array | undefined;

  constructor(private readonly o: CredentialKeeperOptions) {
    this.identity = o.identity;
    this.links = chainLinks(o.identity.credential, o.identity.parents) ?? [];
  }

  /** h() of the leaf, hex. */
  get credentialHash(): string {
    return this.links[0] ? hex(this.links[0].hash) : hex(objectHash(this.identity.credential));
  }

  /** The chain's earliest expiry, ms; undefined when a credential cannot be read. Read once per identity. */
  get expiresAt(): number | undefined {
    if (this.expiryOf?.identity !== this.identity) this.expiryOf = { identity: this.identity, ms: this.readExpiry() };
    return this.expiryOf.ms;
  }

  private expiryOf: { identity: Identity; ms: number | undefined } | undefined;
  private expiredLogged = false;

  /** Past the chain's earliest expiry: whatever the agent signed now would not verify. */
  get expired(): boolean {
    const exp = this.expiresAt;
    return exp !== undefined && this.o.clock.now() >= exp;
  }

  private readExpiry(): number | undefined {
    const exps = [this.identity.credential, ...this.identity.parents].map((c) => {
      try {
        return parseCredentialClaims(decodeSign1(c).payload)?.exp;
      } catch {
        return undefined;
      }
    });
    return exps.some((e) => e === undefined) ? undefined : Math.min(...(exps as number[])) * 1000;
  }

  get expiring(): boolean {
    const exp = this.expiresAt;
    return exp !== undefined && exp - this.o.clock.now() < EXPIRY_WARNING_S * 1000;
  }

  /** At start: follows the issuers above it, applies the kept lists, checks expiry. */
  async start(signingKey: Uint8Array): Promise<void> {
    this.signingKey = signingKey;
    for (const l of this.links.slice(1)) this.o.follow(l.kid);
    if (this.o.state.said(`revoked:${this.credentialHash}`)) this.revoked = this.revoked ?? { credential: this.credentialHash, link: 0, iss: 'an earlier run', kid: '', seq: 0 };
    await this.checkRevoked();
    await this.checkExpiry();
  }

  /** After a list was accepted (or at start): is this agent's credential revoked now? */
  async checkRevoked(): Promise<void> {
    const r = revokedLink(this.o.lists(), this.links);
    if (!r || this.revoked?.seq) return;
    const cred = this.credentialHash;
    this.revoked = { credential: cred, link: r.link, iss: r.list.iss, kid: hex(r.list.kid), seq: r.list.seq };
    this.o.logger.error('this agent\'s credential is revoked: it stops attesting until a renewed credential is installed', { code: 'CREDENTIAL_REVOKED', link: r.link, by: r.list.iss, seq: r.list.seq });
    const notice = `revoked:${cred}`;
    if (this.o.state.said(notice)) return;
    const said = await this.o.announce({
      event: 'credential-revoked',
      reason: 'CREDENTIAL_REVOKED',
      credential: this.links[0]!.hash,
      revoked: this.links[r.link]!.hash,
      link: r.link,
      by: { iss: r.list.iss, kid: r.list.kid, seq: r.list.seq, list: r.list.hash },
    });
    if (said) this.markSaid(notice);
  }

  /** Once per credential, within 7 days of the chain's earliest expiry; once expired, an error log line. */
  async checkExpiry(): Promise<void> {
    const exp = this.expiresAt;
    if (this.expired && !this.expiredLogged) {
      this.expiredLogged = true;
      this.o.logger.error(`the credential expired at ${new Date(exp!).toISOString()}: attesting nothing until a renewed credential is installed`, { code: 'CREDENTIAL_EXPIRED' });
    }
    if (exp === undefined || !this.expiring || this.revoked) return;
    const notice = `expiring:${this.credentialHash}`;
    if (this.o.state.said(notice)) return;
    this.o.logger.warn(`the credential expires at ${new Date(exp).toISOString()}, within 7 days: have it renewed`, { code: 'CREDENTIAL_EXPIRES_SOON' });
    const said = await this.o.announce({ event: 'credential-expiring', reason: 'CREDENTIAL_EXPIRES_SOON', credential: this.links[0]!.hash, expires_ms: exp });
    if (said) this.markSaid(notice);
  }

  /**
   * A new credential file (and parents) for this agent. Throws a RuntimeError
   * (CREDENTIAL_RENEWAL_REFUSED, CREDENTIAL_RENEWAL_REVOKED) and keeps the old one when it may
   * not replace it; returns false when it is the one in use.
   */
  async renew(credential: Uint8Array, parents: Uint8Array[]): Promise<boolean> {
    if (Buffer.from(credential).equals(Buffer.from(this.identity.credential)) && parents.length === this.identity.parents.length && parents.every((p, i) => Buffer.from(p).equals(Buffer.from(this.identity.parents[i]!)))) return false;
    const next: Identity = { ...this.identity, credential, parents };
    const check = checkOwnCredential(next, this.signingKey!, this.o.place, this.o.anchors, Math.floor(this.o.clock.now() / 1000));
    if (check.problems.length) throw new RuntimeError('CREDENTIAL_RENEWAL_REFUSED', `the new credential is refused, the old one kept: ${check.problems.join('; ')}`);
    const links = chainLinks(credential, parents)!;
    const r = revokedLink(this.o.lists(), links);
    if (r || this.o.state.said(`revoked:${hex(links[0]!.hash)}`)) throw new RuntimeError('CREDENTIAL_RENEWAL_REVOKED', `the new credential is refused, the old one kept: its link ${r?.link ?? 0} is revoked${r ? ` by ${r.list.iss} (list ${r.list.seq})` : ''}`);
    const previous = this.links[0]!.hash;
    this.o.switchTo(next);
    this.identity = next;
    this.links = links;
    this.revoked = undefined;
    this.expiredLogged = false;
    this.renewals++;
    for (const l of links.slice(1)) this.o.follow(l.kid);
    this.o.logger.info('credential renewed without a restart', { expiresAt: this.expiresAt });
    await this.o.announce({ event: 'credential-renewed', previous, credential: links[0]!.hash, expires_ms: this.expiresAt ?? 0 });
    await this.checkExpiry();
    return true;
  }

  private markSaid(notice: string): void {
    try {
      this.o.state.markSaid(notice);
    } catch (e) {
      this.o.errors.count('TRUST_STATE_UNWRITABLE');
      this.o.logger.warn('could not record that a notice was signed; it may be signed again after a restart', { code: 'TRUST_STATE_UNWRITABLE', notice, error: e as Error });
    }
  }
}

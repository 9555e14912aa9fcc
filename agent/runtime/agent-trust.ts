/**
 * The running agent's side of revocation and renewal (DESIGN.md, "Revocation list"): the lists
 * it follows (revocation-intake.ts), its own credential (credential-keeper.ts), and what a new
 * list does to the grants it tracks: a grant through a revoked credential, or listed by cti,
 * stops yielding attestations and is answered on the chain once, `grant-refused` with the reason.
 */
import type { CborValue } from '../encoding/cbor-value.ts';
import type { ReservationGrant } from '../authority/grant.ts';
import type { SignedObservation } from '../lineage/observation.ts';
import type { PresenceTracker } from '../domain/presence.ts';
import { MemoryTrustState, type TrustState } from '../store/trust-state.ts';
import { RevocationIntake, grantRevocation, type GrantRevocationCode } from './revocation-intake.ts';
import { CredentialKeeper, type CredentialKeeperOptions } from './credential-keeper.ts';
import { grantAnswerBody } from './claims-to-drafts.ts';
import { inBackground } from './background.ts';

/** The keeper's own context and signing callbacks, and what the grants side needs besides. */
export interface AgentTrustOptions extends Pick<CredentialKeeperOptions, 'identity' | 'place' | 'anchors' | 'clock' | 'logger' | 'errors' | 'announce' | 'switchTo'> {
  state?: TrustState | undefined;
  presence: PresenceTracker;
  subscribe: (topic: string, handler: (topic: string, payload: Uint8Array) => void) => void;
  /** Signs a `reservation` observation (silenced while revoked). */
  answer: (body: { [k: string]: CborValue }) => Promise<SignedObservation | undefined>;
}

export class AgentTrust {
  readonly revocations: RevocationIntake;
  readonly credential: CredentialKeeper;

  constructor(private readonly o: AgentTrustOptions) {
    const state = o.state ?? new MemoryTrustState();
    this.revocations = new RevocationIntake({ anchors: o.anchors, clock: o.clock, logger: o.logger.child('revocations'), errors: o.errors, state, subscribe: o.subscribe, onList: () => inBackground('revocation list', () => this.apply(), o) });
    this.credential = new CredentialKeeper({
      identity: o.identity,
      place: o.place,
      anchors: o.anchors,
      clock: o.clock,
      logger: o.logger.child('credential'),
      errors: o.errors,
      state,
      lists: () => this.revocations.lists(),
      announce: o.announce,
      switchTo: o.switchTo,
      follow: (kid) => this.revocations.follow(kid),
    });
  }

  /** At start: kept lists first (honoured before the broker answers), the anchors' and own issuers' topics, the own credential. */
  async start(signingKey: Uint8Array): Promise<void> {
    this.revocations.loadKept();
    for (const a of this.o.anchors) this.revocations.follow(a.kid);
    await this.credential.start(signingKey);
  }

  get revoked(): boolean {
    return this.credential.revoked !== undefined;
  }

  /** Why the agent must sign nothing now (its credential revoked or expired): the code to count a refusal under. */
  get silence(): 'CREDENTIAL_REVOKED_SILENT' | 'CREDENTIAL_EXPIRED_SILENT' | undefined {
    return this.credential.revoked ? 'CREDENTIAL_REVOKED_SILENT' : this.credential.expired ? 'CREDENTIAL_EXPIRED_SILENT' : undefined;
  }

  /** For grant intake: the code a verified grant is refused with, or undefined. */
  grantRevoked(g: ReservationGrant): GrantRevocationCode | undefined {
    return grantRevocation(this.revocations.lists(), g);
  }

  /** A grant is about to be tracked: its grantor's chain is followed, so the grantor's own lists reach this agent. Always true. */
  tracking(g: ReservationGrant): true {
    for (const l of g.chain ?? []) this.revocations.follow(l.kid);
    return true;
  }

  private async apply(): Promise<void> {
    await this.credential.checkRevoked();
    const lists = this.revocations.lists();
    for (const g of this.o.presence.trackedGrants()) {
      const code = grantRevocation(lists, g);
      if (!code || !this.o.presence.dropGrant(g.cti)) continue;
      this.o.errors.count(code);
      this.o.logger.warn('an accepted grant is revoked: no further attestation for it', { code, reservation: g.reservation });
      void this.o.answer(grantAnswerBody(false, g.hash, g.reservation, code));
    }
  }
}

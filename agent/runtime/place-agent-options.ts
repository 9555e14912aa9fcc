/**
 * What the composition root (boot.ts) hands a PlaceAgent: every I/O object built outside it
 * (store, publisher, signer, sources, epoch counter) and the place's policies.
 */
import type { ReadingSource } from '../../core/reading.ts';
import type { Logger } from '../../core/log.ts';
import type { Clock } from '../../core/clock.ts';
import type { Identity, SignedObservation, TimeQuality } from '../lineage/observation.ts';
import type { EpochCounter } from '../lineage/epoch.ts';
import type { ObservationStore } from '../store/store.ts';
import type { Signer } from '../../core/ports/signer.ts';
import type { Publisher } from '../../core/ports/publisher.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import type { PlaceProfile } from '../domain/place-profile.ts';
import type { PresencePolicy } from '../domain/presence.ts';
import type { IdentityScheme } from '../domain/identity-evidence.ts';
import type { SurveyedPosition } from '../domain/gateway-fix.ts';
import type { ChainMarker } from './chain-marker.ts';
import type { TrustState } from '../store/trust-state.ts';

export interface PlaceAgentOptions {
  place: string;
  identity: Identity;
  signer: Signer;
  epoch: EpochCounter;
  store: ObservationStore;
  sources: ReadingSource[];
  anchors: TrustAnchor[];
  clock: Clock;
  logger: Logger;
  /** Publishes the outbox (built by the composition root; its birth message reads birth()). */
  publisher: Publisher;
  /** The envelope's period; a significant change is emitted at once, but not more often than `minIntervalMs` (default 1 s). */
  envelope: { intervalMs: number; minIntervalMs?: number };
  /** The declared dimensions (agent/config/place-profile.ts); none: envelopes carry no dimensions. */
  profile?: PlaceProfile;
  /** Presence policy (presence.ts); whether the place has a physical sensor comes from the profile. */
  presence: { holdMs: number } & Partial<Omit<PresencePolicy, 'holdMs' | 'physical'>>;
  /** The gateway's surveyed position (claim 264 without a GNSS fix; a fix far from it is flagged). */
  position?: SurveyedPosition;
  /** Sources whose readings name units, and by which scheme (agent/config/place-profile.ts identitySources). */
  identitySources?: Map<string, IdentityScheme>;
  checkpoint: { every: number; intervalMs: number };
  timeQuality: () => TimeQuality;
  /** Called with each committed observation (console printer, metrics). */
  onObservation?: (o: SignedObservation) => void;
  /** Outbox depth past which superseded envelopes are dropped from delivery (with a signed gap). */
  maxUndelivered?: number;
  /** Delivered observations older than `ms` are archived to `auditDir` and pruned at checkpoints. */
  retention?: { ms: number; auditDir: string };
  /** The last committed head kept beside the key (a lost or replaced store is refused), and whether to declare a new chain instead. */
  chainMarker?: ChainMarker;
  newChain?: boolean;
  trustState?: TrustState; // kept revocation lists and notices said (store/trust-state.ts); default in memory
}

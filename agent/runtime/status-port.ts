/**
 * What operations (metrics, /healthz, /status.json, the systemd watchdog) may see of a running
 * agent: read-only figures and two liveness probes, nothing it could change the agent with.
 * The composition root builds it from the agent, the store and the publisher it assembled.
 */
import type { SourceHealth } from '../../core/reading.ts';
import type { SignerSelfCheckStats } from '../../core/ports/signer.ts';
import type { LineageHead, StoreHealth } from '../../core/ports/store.ts';
import type { Publisher, PublisherStats } from '../../core/ports/publisher.ts';
import type { SignedObservation, TimeQuality } from '../lineage/observation.ts';
import type { PlaceAgent } from './place-agent.ts';
import type { OwnRevocation } from './credential-keeper.ts';
import type { ComponentErrors, ErrorComponent } from '../ops/status.ts';

export interface AgentStatusPort {
  readonly place: string;
  readonly iss: string;
  /** The leaf credential the agent signs under now (its COSE_Sign1 bytes; a renewal changes it). */
  readonly credential: Uint8Array;
  /** Revocation and renewal (agent-trust.ts): what status and metrics show of them. */
  trust(): TrustStatus;
  readonly startedAt: number;
  readonly signerKind: 'software' | 'tpm';
  readonly sourceCount: number;
  lastReadingAt(): number | undefined;
  sourceHealth(): SourceHealth[];
  head(): LineageHead;
  timeQuality(): TimeQuality;
  outbox(): { depth: number; oldestT: number | undefined };
  broker(): { connected: boolean; stats: PublisherStats };
  onObservation(fn: (o: SignedObservation) => void): void;
  onDelivered(fn: (seq: number, latencyMs: number) => void): void;
  /** Told how long each signature the chain makes takes, in ms. */
  onSigned(fn: (ms: number) => void): void;
  /** Throws a coded error when the store no longer takes writes. */
  probeStore(): void;
  /** Milliseconds one signature takes; throws when the signer does not answer. */
  probeSigner(): Promise<number>;
  /** The signer's self-check counts, when it has a self-check of its own (a software key's pool). */
  signerSelfCheck(): SignerSelfCheckStats | undefined;
  /** The agent's own error counters (not the sources'), non-zero counts only. */
  errors(): ComponentErrors;
}

export interface TrustStatus {
  /** The credential chain's earliest expiry, ms. */
  expiresAt?: number;
  /** Within 7 days of it. */
  expiring: boolean;
  /** Past it: the agent signs nothing until a renewed credential is installed. */
  expired: boolean;
  revoked?: OwnRevocation;
  renewals: number;
  /** Issuers whose list is held, and issuers followed. */
  lists: number;
  following: number;
}

/** Each component's counter as a snapshot function (ErrorCounter.snapshot); the composition root names them. */
export type ErrorSnapshots = Partial<Record<ErrorComponent, () => Record<string, number>>>;

/** Reads every counter in `snapshots` now, keeping only codes counted at least once. */
export function readErrorCounts(snapshots: ErrorSnapshots): ComponentErrors {
  const out: ComponentErrors = {};
  for (const [component, snapshot] of Object.entries(snapshots) as Array<[ErrorComponent, () => Record<string, number>]>) {
    const counted = Object.entries(snapshot()).filter(([, n]) => n > 0);
    if (counted.length) out[component] = Object.fromEntries(counted);
  }
  return out;
}

export function agentStatusPort(agent: PlaceAgent, store: StoreHealth, publisher: Publisher, errors: ErrorSnapshots): AgentStatusPort {
  return {
    place: agent.place,
    iss: agent.identity.iss,
    get credential() {
      return agent.identity.credential;
    },
    trust: () => {
      const c = agent.trust.credential;
      const exp = c.expiresAt;
      return { ...(exp !== undefined ? { expiresAt: exp } : {}), expiring: c.expiring, expired: c.expired, ...(c.revoked ? { revoked: c.revoked } : {}), renewals: c.renewals, lists: agent.trust.revocations.lists().length, following: agent.trust.revocations.following };
    },
    startedAt: agent.startedAt,
    signerKind: agent.signerKind,
    sourceCount: agent.sourceCount,
    lastReadingAt: () => agent.lastReadingAt,
    sourceHealth: () => agent.sourceHealth(),
    head: () => agent.chain.current(),
    timeQuality: () => agent.timeQuality(),
    outbox: () => store.outboxStats(),
    broker: () => ({ connected: publisher.isConnected, stats: publisher.stats }),
    onObservation: (fn) => agent.onObservation(fn),
    onDelivered: (fn) => publisher.onDelivered(fn),
    onSigned: (fn) => {
      agent.chain.onSigned = fn;
    },
    probeStore: () => store.probeWritable(),
    probeSigner: () => agent.probeSigner(),
    signerSelfCheck: () => agent.signerSelfCheck(),
    errors: () => readErrorCounts(errors),
  };
}

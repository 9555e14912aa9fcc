/**
 * A real PlaceAgent in the test's own process, signing with the leaf of a test authority's
 * chain (test/unit/authority-fixture.ts): a store on disk, a file epoch counter beside it, no
 * sources, the publisher boot.ts builds, envelopes every 100 ms and no count-triggered
 * checkpoint in a test's lifetime. For tests that drive the trust side of a running agent
 * (grants, revocation lists, credential expiry, clock steps) through its ports.
 */
import type { Clock } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { PlaceAgent } from '../../agent/runtime/place-agent.ts';
import { buildPublisher } from '../../agent/runtime/boot.ts';
import { ObservationStore } from '../../agent/store/store.ts';
import { TrustStateFiles } from '../../agent/store/trust-state.ts';
import { FileEpochCounter } from '../../agent/signing/file-epoch.ts';
import type { SignedObservation } from '../../agent/lineage/observation.ts';
import { PLACE, identityOf, type Chain } from '../unit/authority-fixture.ts';

/** Nothing listens on port 1: an agent whose broker stays unreachable. */
export const NO_BROKER = 'mqtt://127.0.0.1:1';

export interface ChainAgentOptions {
  chain: Chain;
  /** The store's file; the epoch counter is kept at `<db>.epoch`. */
  db: string;
  clock: Clock;
  /** MQTT client id on the broker at `brokerUrl` (NO_BROKER unless given). */
  clientId: string;
  brokerUrl?: string;
  protocolVersion?: 4 | 5;
  /** Where revocation lists and renewed credentials are kept across a restart; none unless given. */
  trustDir?: string;
  logger?: Logger;
  envelopeMs?: number;
}

export interface ChainAgent {
  agent: PlaceAgent;
  store: ObservationStore;
  /** Every observation the agent commits, in order, from the moment it is built. */
  committed: SignedObservation[];
  /** Stops the agent and closes its store. */
  stop(): Promise<void>;
}

/** Builds the agent (not started: the caller starts it when its clock and broker are ready). */
export function chainAgent(o: ChainAgentOptions): ChainAgent {
  const logger = o.logger ?? silentLogger;
  const store = new ObservationStore(o.db);
  const agent: PlaceAgent = new PlaceAgent({
    place: PLACE,
    identity: identityOf(o.chain),
    signer: o.chain.leaf.signer,
    epoch: new FileEpochCounter(`${o.db}.epoch`),
    store,
    sources: [],
    anchors: [o.chain.anchor],
    clock: o.clock,
    logger,
    publisher: buildPublisher(store, PLACE, { url: o.brokerUrl ?? NO_BROKER, clientId: o.clientId, protocolVersion: o.protocolVersion ?? 5, thread: false }, logger, () => agent.birth()),
    envelope: { intervalMs: o.envelopeMs ?? 100 },
    presence: { holdMs: 4000 },
    checkpoint: { every: 100_000, intervalMs: 3_600_000 },
    timeQuality: () => ({ src: 'rtc', sync: false, errMs: 2000 }),
    ...(o.trustDir !== undefined ? { trustState: new TrustStateFiles(o.trustDir) } : {}),
  });
  const committed: SignedObservation[] = [];
  agent.onObservation((x) => committed.push(x));
  return {
    agent,
    store,
    committed,
    async stop() {
      await agent.stop();
      store.close();
    },
  };
}

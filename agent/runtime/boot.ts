/**
 * The composition root: builds a running agent either on the embedded defaults (simulated
 * berth, software key or TPM, development authority, in-process broker under ./var) or from a
 * configuration file.
 */
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { ReadingSource } from '../../core/reading.ts';
import { ObservationStore } from '../store/store.ts';
import { FileEpochCounter } from '../signing/file-epoch.ts';
import { loadKeyFile } from '../signing/software-signer.ts';
import type { Signer } from '../../core/ports/signer.ts';
import type { EpochCounter } from '../lineage/epoch.ts';
import type { SignedObservation } from '../lineage/observation.ts';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import type { AgentConfig } from '../config/schema.ts';
import { PlaceAgent } from './place-agent.ts';
import { loadIdentity } from './identity.ts';
import { embeddedPaths, provisionEmbedded } from './provision.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import { BerthScript, simulatedBerthProfile, simulatedBerthSources } from '../sim/simulated-berth.ts';
import { identitySources, presencePolicy, resolvePlaceProfile } from '../config/place-profile.ts';
import { ReservationCycle } from '../sim/reservation-cycle.ts';
import { openTpmSigner } from '../signing/tpm-signer.ts';
import { openTpmEpochCounter } from '../signing/tpm-epoch.ts';
import { existsSync } from 'node:fs';
import { CodedError } from '../../core/coded-error.ts';
import { keyFileExists } from '../signing/tpm-key-files.ts';
import { tpmKeysInit } from '../signing/tpm-provision.ts';
import { hostTimeQuality } from './time-quality.ts';
import { createConsolePrinter } from './console-printer.ts';
import { loadBrokerCredentials } from '../transport/broker-credentials.ts';
import { RuntimeError } from './errors.ts';

export interface Running {
  agent: PlaceAgent;
  stop(): Promise<void>;
  brokerUrl: string;
}

export const EMBEDDED_PLACE = 'urn:place:DEMO:berth:1';

export interface EmbeddedOptions {
  stateDir?: string;
  port?: number;
  /** Connect to this broker instead of starting the in-process one. */
  brokerUrl?: string;
  tcti?: string;
  logger: Logger;
  clock?: Clock;
  print?: boolean;
  onObservation?: (o: SignedObservation) => void;
  /** Extra sources next to the simulated ones (tests add bursts). */
  sources?: ReadingSource[];
  envelopeIntervalMs?: number;
  reservationPeriodMs?: number;
  simulate?: boolean;
  maxUndelivered?: number;
}

async function openTpm(tcti: string, logger: Logger, stateDir: string): Promise<{ signer: Signer; epoch: EpochCounter }> {
  const signer = await openTpmSigner({ tcti, stateDir, logger: logger.child('tpm') });
  try {
    const epoch = await openTpmEpochCounter({ tcti, stateDir, logger });
    return { signer, epoch };
  } catch (e) {
    await signer.close();
    throw e;
  }
}

export async function bootEmbedded(o: EmbeddedOptions): Promise<Running> {
  const clock = o.clock ?? systemClock;
  const stateDir = resolve(o.stateDir ?? 'var');
  const paths = embeddedPaths(stateDir);
  // The demo provisions a fresh TPM itself (empty owner auth, as swtpm starts); a gateway runs keys init --tpm.
  if (o.tcti && !keyFileExists(stateDir)) await tpmKeysInit({ tcti: o.tcti, stateDir, logger: o.logger });
  const tpm = o.tcti ? await openTpm(o.tcti, o.logger, stateDir) : undefined;
  const { authority, signer } = await provisionEmbedded(stateDir, EMBEDDED_PLACE, clock.now(), tpm?.signer);
  const store = new ObservationStore(join(stateDir, 'agent.db'), { exclusive: true });
  let broker: EmbeddedBroker | undefined;
  try {
    broker = o.brokerUrl ? undefined : await startEmbeddedBroker(o.port ?? 1883);
  } catch (e) {
    store.close();
    throw e;
  }
  const brokerUrl = o.brokerUrl ?? broker!.url;
  const anchor = { lat: 53.5453, lon: 9.9668 };
  const script = new BerthScript(anchor);
  const simulate = o.simulate ?? true;
  const printer = o.print ? createConsolePrinter([authority.anchor]) : undefined;
  const agent = new PlaceAgent({
    place: EMBEDDED_PLACE,
    identity: loadIdentity(stateDir, paths.credFile, [paths.parentFile]),
    signer,
    epoch: tpm?.epoch ?? new FileEpochCounter(join(stateDir, 'epoch')),
    store,
    sources: [...(simulate ? simulatedBerthSources(script, clock) : []), ...(o.sources ?? [])],
    anchors: [authority.anchor],
    clock,
    logger: o.logger,
    mqtt: { url: brokerUrl, clientId: `place-agent-demo-${process.pid}`, protocolVersion: broker ? 4 : 5 },
    envelope: { intervalMs: o.envelopeIntervalMs ?? 5000, minIntervalMs: Math.min(1000, o.envelopeIntervalMs ?? 1000) },
    profile: simulatedBerthProfile(anchor),
    presence: { holdMs: 4000 },
    identitySources: new Map([['sim-ais', 'mmsi']]),
    checkpoint: { every: 1000, intervalMs: 60_000 },
    retention: { ms: 30 * 86_400_000, auditDir: join(stateDir, 'audit') },
    maxUndelivered: o.maxUndelivered ?? 1_000_000,
    timeQuality: hostTimeQuality,
    onObservation: (ob) => {
      printer?.(ob);
      o.onObservation?.(ob);
    },
  });
  await agent.start();
  const cycle = simulate ? new ReservationCycle(authority, EMBEDDED_PLACE, script, agent.publisher, clock, o.logger.child('sim'), o.reservationPeriodMs ?? 30_000) : undefined;
  // The first grant waits for the broker: published before the connection, it would be lost.
  if (cycle) {
    if (agent.publisher.isConnected) cycle.start();
    else agent.publisher.onConnected(() => cycle.start());
  }
  return {
    agent,
    brokerUrl,
    stop: async () => {
      cycle?.stop();
      await agent.stop();
      store.close();
      await broker?.close();
    },
  };
}

export async function bootFromConfig(cfg: AgentConfig, o: { logger: Logger; clock?: Clock; sources: ReadingSource[]; print?: boolean }): Promise<Running> {
  const clock = o.clock ?? systemClock;
  const stateDir = resolve(cfg.stateDir);
  // Before the TPM or the key is opened: a password file or client key open to others is refused without side effects.
  const brokerCredentials = loadBrokerCredentials(cfg.mqtt);
  if (cfg.signer.kind === 'tpm' && existsSync(join(stateDir, 'device.key'))) {
    throw new RuntimeError('KEY_SOFTWARE_WITH_TPM', `the configuration names a TPM, but a software key lies in ${join(stateDir, 'device.key')}: remove it (it is not used, and must not be able to sign for this gateway)`, { path: join(stateDir, 'device.key') });
  }
  // The owner auth (signer.ownerAuthFile) is for keys init only: running needs the key's and counter's own auths.
  const tpm = cfg.signer.kind === 'tpm' ? await openTpm(cfg.signer.tcti ?? 'device:/dev/tpmrm0', o.logger, stateDir) : undefined;
  const signer = tpm?.signer ?? loadKeyFile(cfg.signer.keyFile ?? join(stateDir, 'device.key'));
  const identity = loadIdentity(stateDir, cfg.credential.file ?? join(stateDir, 'device.cred'), cfg.credential.parents);
  const anchors = cfg.trustAnchors.map(loadTrustAnchor);
  const store = new ObservationStore(cfg.store.path ?? join(stateDir, 'agent.db'), { exclusive: true });
  const printer = o.print ? createConsolePrinter(anchors) : undefined;
  const agent = new PlaceAgent({
    place: cfg.place,
    identity,
    signer,
    epoch: tpm?.epoch ?? new FileEpochCounter(join(stateDir, 'epoch')),
    store,
    sources: o.sources,
    anchors,
    clock,
    logger: o.logger,
    mqtt: { url: cfg.mqtt.url, clientId: cfg.mqtt.clientId ?? `place-agent-${identity.iss.slice(-12)}`, protocolVersion: cfg.mqtt.protocolVersion, ...brokerCredentials },
    envelope: { intervalMs: cfg.envelope.intervalSeconds * 1000, minIntervalMs: cfg.envelope.minIntervalSeconds * 1000 },
    profile: resolvePlaceProfile(cfg),
    presence: presencePolicy(cfg),
    ...(cfg.position ? { position: cfg.position } : {}),
    identitySources: identitySources(cfg),
    checkpoint: { every: cfg.lineage.checkpointEvery, intervalMs: cfg.lineage.checkpointSeconds * 1000 },
    retention: { ms: cfg.store.retentionDays * 86_400_000, auditDir: join(stateDir, 'audit') },
    maxUndelivered: cfg.store.maxUndelivered,
    timeQuality: hostTimeQuality,
    ...(printer ? { onObservation: printer } : {}),
  });
  await agent.start();
  return {
    agent,
    brokerUrl: cfg.mqtt.url,
    stop: async () => {
      await agent.stop();
      store.close();
    },
  };
}

/**
 * The composition root: the one place that constructs I/O objects. The embedded demo
 * (simulated berth, software key or TPM, development authority, in-process broker under ./var)
 * and a configured gateway each decide their parts, then `assemble` builds the store, the
 * publisher (and its worker, when asked for), and the PlaceAgent from them, and `withOperations`
 * the metrics server and the systemd notifier, the same way for both. What only one of them
 * needs (the TPM client) is imported when it is needed, so the other does not hold it in memory.
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
import { PlaceAgent, type PlaceAgentOptions } from './place-agent.ts';
import { agentStatusPort, type AgentStatusPort } from './status-port.ts';
import { MqttPublisher, type PublisherOptions } from '../transport/mqtt-publisher.ts';
import { ThreadedPublisher } from '../transport/threaded-publisher.ts';
import type { Publisher } from '../../core/ports/publisher.ts';
import { loadIdentity } from './identity.ts';
import { checkOwnCredential } from '../authority/self-check.ts';
import { embeddedPaths, provisionEmbedded } from './provision.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import { BerthScript, simulatedBerthProfile, simulatedBerthSources } from '../sim/simulated-berth.ts';
import { identitySources, presencePolicy, resolvePlaceProfile } from '../config/place-profile.ts';
import { ReservationCycle } from '../sim/reservation-cycle.ts';
import { existsSync } from 'node:fs';
import { hostTimeQuality } from './time-quality.ts';
import { createConsolePrinter } from './console-printer.ts';
import { loadBrokerCredentials } from '../transport/broker-credentials.ts';
import { RuntimeError } from './errors.ts';
import { ChainMarker } from './chain-marker.ts';
import { startOperations, type Operations } from './operations.ts';
import { startOpsServer } from '../ops/http.ts';
import { SdNotifier, createNotifyTransport, watchdogTimeoutMs } from '../ops/sd-notify.ts';
import { createShutdown, type ShutdownOutcome } from '../ops/shutdown.ts';
import { isCodedError } from '../../core/coded-error.ts';
import { CredentialWatch } from './credential-watch.ts';
import { TrustStateFiles } from '../store/trust-state.ts';
import { storeFootprint } from '../store/store-footprint.ts';

export interface Running {
  agent: PlaceAgent;
  /** What operations may see of it. */
  status: AgentStatusPort;
  /** The metrics server and systemd notification, when the caller asked for them. */
  operations?: Operations;
  /** With operations: STOPPING, then each step inside the shutdown deadline (agent/ops/shutdown.ts). */
  stop(reason?: string): Promise<ShutdownOutcome>;
  brokerUrl: string;
}

/** What a run exposes to an operator: `listen` host:port for /metrics, /healthz, /status.json (undefined: no server). */
export interface OperationsChoice {
  listen?: string;
  mode: 'live' | 'simulation';
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
  /** Start a declared new chain when the store is gone but the chain marker says one existed. */
  newChain?: boolean;
  operations?: OperationsChoice;
}

/** `provision`: the demo provisions a fresh TPM itself (empty owner auth, as swtpm starts); a gateway runs keys init --tpm. */
async function openTpm(tcti: string, logger: Logger, stateDir: string, provision = false): Promise<{ signer: Signer; epoch: EpochCounter }> {
  const [{ openTpmSigner }, { openTpmEpochCounter }, { keyFileExists }] = await Promise.all([import('../signing/tpm-signer.ts'), import('../signing/tpm-epoch.ts'), import('../signing/tpm-key-files.ts')]);
  if (provision && !keyFileExists(stateDir)) await (await import('../signing/tpm-provision.ts')).tpmKeysInit({ tcti, stateDir, logger });
  const signer = await openTpmSigner({ tcti, stateDir, logger: logger.child('tpm') });
  try {
    const epoch = await openTpmEpochCounter({ tcti, stateDir, logger });
    return { signer, epoch };
  } catch (e) {
    await signer.close();
    throw e;
  }
}

/** What differs between the demo and a gateway; everything else `assemble` builds. */
export interface AgentParts extends Omit<PlaceAgentOptions, 'store' | 'publisher'> {
  storePath: string;
  /**
   * Broker connection. `thread` (default false): publish from a worker thread with its own
   * database connection, so the main thread only signs and commits; worth its isolate (about
   * 20 MB) only at sustained rates of thousands of observations a second.
   */
  mqtt: Omit<PublisherOptions, 'logger' | 'birth' | 'place'> & { thread?: boolean };
  /** Built before the agent by the caller and closed after it (the demo's broker). */
  onStop?: () => Promise<void>;
  /** The credential files, watched for a renewal picked up without a restart (credential-watch.ts). */
  credentialFiles?: { leaf: string; parents: string[]; pollMs?: number };
}

/** The outbox publisher: on the calling thread, or in a worker thread when asked for (never for a store in memory). */
export function buildPublisher(store: ObservationStore, place: string, mqtt: AgentParts['mqtt'], logger: Logger, birth: () => Record<string, unknown>): Publisher {
  const { thread, ...options } = mqtt;
  const o: PublisherOptions = { ...options, place, logger: logger.child('mqtt'), birth };
  return thread === true && store.path !== ':memory:' ? new ThreadedPublisher(store, o) : new MqttPublisher(store, o);
}

/** Builds store, publisher and agent from `parts` and starts the agent. */
export async function assemble(parts: AgentParts): Promise<Running> {
  const { storePath, mqtt, onStop, credentialFiles, ...rest } = parts;
  // Before anything is opened for writing: a credential that cannot vouch for this agent's
  // observations stops the start (exit 2), naming the mismatch.
  const self = checkOwnCredential(parts.identity, await parts.signer.publicKey(), parts.place, parts.anchors, Math.floor(parts.clock.now() / 1000));
  for (const w of self.warnings) parts.logger.warn(w, { code: 'CREDENTIAL_EXPIRES_SOON' });
  if (self.problems.length) {
    await onStop?.();
    throw new RuntimeError('CONFIG_CREDENTIAL_MISMATCH', self.problems.join('; '));
  }
  // A refused start leaves the data directory as it found it (no empty agent.db beside the key).
  const footprint = storeFootprint(storePath);
  let store: ObservationStore;
  try {
    store = new ObservationStore(storePath, { exclusive: true });
  } catch (e) {
    footprint.undo();
    await onStop?.();
    throw e;
  }
  let agent: PlaceAgent | undefined;
  const publisher = buildPublisher(store, parts.place, mqtt, parts.logger, () => agent?.birth() ?? {});
  agent = new PlaceAgent({ ...rest, store, publisher });
  try {
    await agent.start();
  } catch (e) {
    // Refused before anything ran (a store behind the chain marker, the epoch counter): release the store and the demo's broker.
    // A store recording an epoch stays: the start writes it just before raising the counter
    // (start-epoch.ts), so it may witness a rise, and the next start needs it.
    const head = store.head();
    const signedNothing = head.seq === 0 && head.epoch === 0n;
    store.close();
    if (signedNothing) footprint.undo();
    await onStop?.();
    throw e;
  }
  const running = agent;
  const watch = credentialFiles ? new CredentialWatch({ ...credentialFiles, logger: parts.logger.child('credential'), errors: running.errors, renew: (c, p) => running.trust.credential.renew(c, p) }) : undefined;
  watch?.start();
  return {
    agent: running,
    // Each counter through its snapshot alone: operations read counts, never the counting parts.
    status: agentStatusPort(running, store, publisher, {
      agent: () => running.errors.snapshot(),
      log: () => running.log.errors.snapshot(),
      publisher: () => publisher.errors.snapshot(),
      signer: () => parts.signer.errorCounts?.() ?? {},
    }),
    brokerUrl: mqtt.url,
    stop: async () => {
      watch?.stop();
      await running.stop();
      store.close();
      await onStop?.();
      return { clean: true, failed: [] };
    },
  };
}

/**
 * Builds the operator's side of a started agent: the notifier over systemd's socket, the
 * metrics server when `choice.listen` names one, and a stop that goes through the shutdown
 * (STOPPING, the agent, then operations, inside the deadline). A metrics port taken since the
 * caller checked it stops the agent again and refuses the start.
 */
async function withOperations(running: Running, choice: OperationsChoice | undefined, logger: Logger, clock: Clock): Promise<Running> {
  if (!choice) return running;
  const listen = choice.listen;
  const notifier = new SdNotifier(createNotifyTransport(process.env, logger), logger);
  const wd = watchdogTimeoutMs();
  let operations: Operations;
  try {
    operations = await startOperations({
      agent: running.status,
      errors: running.agent.errors,
      clock,
      logger,
      brokerUrl: running.brokerUrl,
      mode: choice.mode,
      notifier,
      ...(wd ? { watchdogTimeoutMs: wd } : {}),
      ...(listen ? { serve: (routes) => startOpsServer({ host: listen.slice(0, listen.lastIndexOf(':')), port: Number(listen.slice(listen.lastIndexOf(':') + 1)), ...routes, log: logger.child('ops') }) } : {}),
    });
  } catch (e) {
    notifier.close();
    await running.stop();
    if (isCodedError(e)) throw e;
    throw new RuntimeError('OPS_PORT_IN_USE', `operations endpoint ${listen}: ${(e as Error).message}; pick another port or --metrics off`, { listen });
  }
  const shutdown = createShutdown({
    notifier,
    log: logger,
    steps: [
      { name: 'agent', run: async () => void (await running.stop()) },
      { name: 'operations', run: () => operations.close() },
    ],
  });
  return { ...running, operations, stop: (reason = 'stop requested') => shutdown(reason) };
}

export async function bootEmbedded(o: EmbeddedOptions): Promise<Running> {
  const clock = o.clock ?? systemClock;
  const stateDir = resolve(o.stateDir ?? 'var');
  const paths = embeddedPaths(stateDir);
  // A gateway's state directory is not the demo's: provisioning would replace its credential with one from a development authority.
  if (existsSync(paths.credFile) && !existsSync(join(paths.authorityDir, 'anchor.key'))) {
    throw new RuntimeError(
      'DEMO_STATE_FOREIGN',
      `${stateDir} holds a device credential the demo did not issue (no development authority in ${paths.authorityDir}): it looks like a gateway's state directory, and the demo would replace that credential. Give the demo its own --state directory; a gateway runs with --config`,
      { path: stateDir },
    );
  }
  // The broker first: a taken port refuses the start before anything is written under the state directory.
  const broker: EmbeddedBroker | undefined = o.brokerUrl ? undefined : await startEmbeddedBroker(o.port ?? 1883);
  let tpm: Awaited<ReturnType<typeof openTpm>> | undefined;
  let provisioned: Awaited<ReturnType<typeof provisionEmbedded>>;
  try {
    tpm = o.tcti ? await openTpm(o.tcti, o.logger, stateDir, true) : undefined;
    provisioned = await provisionEmbedded(stateDir, EMBEDDED_PLACE, clock.now(), tpm?.signer);
  } catch (e) {
    await tpm?.signer.close();
    await tpm?.epoch.close();
    await broker?.close();
    throw e;
  }
  const { authority, signer } = provisioned;
  const brokerUrl = o.brokerUrl ?? broker!.url;
  const anchor = { lat: 53.5453, lon: 9.9668 };
  const script = new BerthScript(anchor);
  const simulate = o.simulate ?? true;
  const printer = o.print ? createConsolePrinter([authority.anchor]) : undefined;
  let cycle: ReservationCycle | undefined;
  const running = await assemble({
    storePath: join(stateDir, 'agent.db'),
    onStop: async () => {
      cycle?.stop();
      await broker?.close();
    },
    place: EMBEDDED_PLACE,
    identity: loadIdentity(stateDir, paths.credFile, [paths.parentFile]),
    credentialFiles: { leaf: paths.credFile, parents: [paths.parentFile] },
    trustState: new TrustStateFiles(join(stateDir, 'trust')),
    signer,
    epoch: tpm?.epoch ?? new FileEpochCounter(join(stateDir, 'epoch')),
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
    chainMarker: new ChainMarker(join(stateDir, 'chain-head.json')),
    newChain: o.newChain ?? false,
    onObservation: (ob) => {
      printer?.(ob);
      o.onObservation?.(ob);
    },
  });
  const agent = running.agent;
  cycle = simulate ? new ReservationCycle(authority, EMBEDDED_PLACE, script, agent.publisher, clock, o.logger.child('sim'), o.reservationPeriodMs ?? 30_000) : undefined;
  // The first grant waits for the broker: published before the connection, it would be lost.
  if (cycle) {
    if (agent.publisher.isConnected) cycle.start();
    else agent.publisher.onConnected(() => cycle.start());
  }
  return withOperations(running, o.operations, o.logger, clock);
}

/** `sources`: instead of the configured ones (tests); by default built from `cfg.sources` by sources.ts. */
export async function bootFromConfig(cfg: AgentConfig, o: { logger: Logger; clock?: Clock; sources?: ReadingSource[]; print?: boolean; newChain?: boolean; operations?: OperationsChoice }): Promise<Running> {
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
  const credFile = cfg.credential.file ?? join(stateDir, 'device.cred');
  const identity = loadIdentity(stateDir, credFile, cfg.credential.parents);
  const anchors = cfg.trustAnchors.map(loadTrustAnchor);
  const printer = o.print ? createConsolePrinter(anchors) : undefined;
  const sources = o.sources ?? (await (await import('./sources.ts')).createSources(cfg, o.logger));
  const running = await assemble({
    storePath: cfg.store.path ?? join(stateDir, 'agent.db'),
    place: cfg.place,
    identity,
    credentialFiles: { leaf: credFile, parents: cfg.credential.parents },
    trustState: new TrustStateFiles(join(stateDir, 'trust')),
    signer,
    epoch: tpm?.epoch ?? new FileEpochCounter(join(stateDir, 'epoch')),
    sources,
    anchors,
    clock,
    logger: o.logger,
    mqtt: { url: cfg.mqtt.url, clientId: cfg.mqtt.clientId ?? `place-agent-${identity.iss.slice(-12)}`, protocolVersion: cfg.mqtt.protocolVersion, thread: cfg.mqtt.publisherThread, ...brokerCredentials },
    envelope: { intervalMs: cfg.envelope.intervalSeconds * 1000, minIntervalMs: cfg.envelope.minIntervalSeconds * 1000 },
    profile: resolvePlaceProfile(cfg),
    presence: presencePolicy(cfg),
    ...(cfg.position ? { position: cfg.position } : {}),
    identitySources: identitySources(cfg),
    checkpoint: { every: cfg.lineage.checkpointEvery, intervalMs: cfg.lineage.checkpointSeconds * 1000 },
    retention: { ms: cfg.store.retentionDays * 86_400_000, auditDir: join(stateDir, 'audit') },
    maxUndelivered: cfg.store.maxUndelivered,
    timeQuality: hostTimeQuality,
    chainMarker: new ChainMarker(join(stateDir, 'chain-head.json')),
    newChain: o.newChain ?? false,
    ...(printer ? { onObservation: printer } : {}),
  });
  return withOperations(running, o.operations, o.logger, clock);
}

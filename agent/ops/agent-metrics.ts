/**
 * The metrics the agent exports, by name, with one method per thing the runtime reports.
 * Names follow Prometheus conventions: `place_agent_` prefix, base units (seconds, bytes),
 * `_total` on counters.
 */
import type { SourceHealth } from '../../core/reading.ts';
import type { SignerSelfCheckStats } from '../../core/ports/signer.ts';
import { MetricsRegistry } from './metrics.ts';
import type { BrokerState, ComponentErrors, TimeSource } from './status.ts';

export type TpmState = 'ok' | 'absent' | 'error' | 'lockout' | 'software';
const TPM_STATES: readonly TpmState[] = ['ok', 'absent', 'error', 'lockout', 'software'];
const TIME_SOURCES: readonly TimeSource[] = ['gnss', 'ntp', 'rtc', 'none'];
const BROKER_STATES: readonly BrokerState[] = ['connected', 'connecting', 'disconnected'];
const SOURCE_STATES: readonly SourceHealth['state'][] = ['starting', 'up', 'stale', 'down'];

/** Publish latency runs from commit to PUBACK, and an outage stretches it to minutes. */
const PUBLISH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** A software P-256 signature takes well under 1 ms, a TPM one 20–200 ms. */
const SIGNER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class AgentMetrics {
  readonly registry: MetricsRegistry;

  private readonly readings;
  private readonly decodeErrors;
  private readonly errors;
  private readonly discarded;
  private readonly sourceState;
  private readonly lastReadingAge;
  private readonly signed;
  private readonly outboxDepth;
  private readonly outboxOldestAge;
  private readonly published;
  private readonly publishLatency;
  private readonly broker;
  private readonly brokerReconnects;
  private readonly signerLatency;
  private readonly signerErrors;
  private readonly tpm;
  private readonly timeSource;
  private readonly timeSynced;
  private readonly timeOffset;
  private readonly timeError;
  private readonly suspensions;
  private readonly chainSeq;
  private readonly chainEpoch;
  private readonly probeFailures;
  private readonly watchdogPings;
  private readonly selfChecked;
  private readonly selfCheckRepairs;
  private readonly selfCheckRefused;
  private readonly credExpiry;
  private readonly credExpiring;
  private readonly credRevoked;
  private readonly credRenewals;
  private readonly revocationLists;

  constructor(opts: { version: string; startedAtMs: number; registry?: MetricsRegistry }) {
    const r = (this.registry = opts.registry ?? new MetricsRegistry());
    r.gauge('place_agent_build_info', 'Agent version and Node runtime; always 1.', ['version', 'node']).set({ version: opts.version, node: process.versions.node }, 1);
    r.gauge('place_agent_start_time_seconds', 'When the agent started, seconds since the Unix epoch.').set(undefined, opts.startedAtMs / 1000);

    this.readings = r.counter('place_agent_readings_total', 'Readings accepted from each source.', ['source']);
    this.decodeErrors = r.counter('place_agent_decode_errors_total', 'Frames or messages a port delivered that did not decode, by error code.', ['port', 'code']);
    this.errors = r.counter(
      'place_agent_errors_total',
      "The agent's own errors by component and code (the sources' are place_agent_decode_errors_total): agent (grant, acceptance and revocation refusals, credential silence, outbox pressure, checkpoints, credential files, trust state), log (the observation log: LOG_*, OBS_TOO_LARGE), publisher (MQTT_*), signer (the software key's signing pool: SIGN_*).",
      ['component', 'code'],
    );
    this.discarded = r.counter('place_agent_discarded_bytes_total', 'Bytes framing skipped on a port while resynchronising.', ['port']);
    this.sourceState = r.gauge('place_agent_source_state', 'Current state of each source (1 on the current state).', ['source', 'state']);
    this.lastReadingAge = r.gauge('place_agent_source_last_reading_age_seconds', 'Time since the last reading of each source.', ['source']);
    this.signed = r.counter('place_agent_observations_signed_total', 'Observations signed and committed to the chain, by kind.', ['kind']);
    this.outboxDepth = r.gauge('place_agent_outbox_depth', 'Observations committed but not yet acknowledged by the broker.');
    this.outboxOldestAge = r.gauge('place_agent_outbox_oldest_undelivered_age_seconds', 'Age of the oldest undelivered observation; 0 when the outbox is empty.');
    this.published = r.counter('place_agent_observations_delivered_total', 'Observations acknowledged by the broker (PUBACK).');
    this.publishLatency = r.histogram('place_agent_publish_latency_seconds', 'Time from commit to PUBACK.', [], PUBLISH_BUCKETS);
    this.broker = r.gauge('place_agent_broker_connection_state', 'MQTT broker connection (1 on the current state).', ['state']);
    this.brokerReconnects = r.counter('place_agent_broker_reconnects_total', 'Connection attempts after a loss.');
    this.signerLatency = r.histogram('place_agent_signer_latency_seconds', 'Time from asking the signer for a signature to having it; the signatures of one batch are ready together, so each records the batch time.', ['signer'], SIGNER_BUCKETS);
    this.signerErrors = r.counter('place_agent_signer_errors_total', 'Signatures that failed, by error code.', ['signer', 'code']);
    this.tpm = r.gauge('place_agent_tpm_state', 'TPM state (1 on the current state; "software" when running on a software key).', ['state']);
    this.timeSource = r.gauge('place_agent_time_source', 'Source of the agent time quality (1 on the current source).', ['src']);
    this.timeSynced = r.gauge('place_agent_time_synchronized', '1 when the clock is synchronised to its source.');
    this.timeOffset = r.gauge('place_agent_time_offset_seconds', 'Last measured offset of the system clock from the reference (reference minus system).');
    this.timeError = r.gauge('place_agent_time_error_seconds', 'Stated error bound of the time in observations (tq.err).');
    this.suspensions = r.counter('place_agent_budget_suspensions_total', 'Attestation budgets exhausted, by scope (unit or place).', ['scope']);
    this.chainSeq = r.gauge('place_agent_chain_head_seq', 'Sequence number of the last committed observation.');
    this.chainEpoch = r.gauge('place_agent_chain_epoch', 'Current epoch: the monotonic counter raised at each start and at each checkpoint.');
    this.probeFailures = r.counter('place_agent_liveness_probe_failures_total', 'Watchdog liveness probes that failed or hung.', ['probe']);
    this.watchdogPings = r.counter('place_agent_watchdog_pings_total', 'WATCHDOG=1 notifications sent.');
    this.selfChecked = r.counter('place_agent_signature_self_checks_total', 'Signatures verified against the public key before commit.');
    this.selfCheckRepairs = r.counter('place_agent_signature_repairs_total', 'Signatures that failed their self-check and were made again, good, before commit.');
    this.selfCheckRefused = r.counter('place_agent_signature_batches_refused_total', 'Batches not committed because a signature failed its self-check twice.');
    this.credExpiry = r.gauge('place_agent_credential_expiry_seconds', "Seconds until the credential chain's earliest expiry (negative once expired).");
    this.credExpiring = r.gauge('place_agent_credential_expiring', '1 when the credential chain expires within 7 days: have it renewed.');
    this.credRevoked = r.gauge('place_agent_credential_revoked', '1 when a revocation list revokes this agent\'s credential or a parent: it attests nothing.');
    this.credRenewals = r.counter('place_agent_credential_renewals_total', 'Credentials replaced by a renewed one without a restart.');
    this.revocationLists = r.gauge('place_agent_revocation_lists', 'Revocation lists held (one per issuer).');

    this.broker.setState('state', 'disconnected', BROKER_STATES);
  }

  /** Copies the sources' own counters at each scrape (drivers keep them in SourceHealth). */
  watchSources(sources: () => readonly SourceHealth[], now: () => number = Date.now): void {
    this.registry.onCollect(() => this.observeSources(sources(), now()));
  }

  observeSources(sources: readonly SourceHealth[], nowMs: number): void {
    for (const s of sources) {
      this.readings.setTotal({ source: s.source }, s.readings);
      this.discarded.setTotal({ port: s.source }, s.discardedBytes);
      for (const [code, n] of Object.entries(s.errors)) this.decodeErrors.setTotal({ port: s.source, code }, n);
      this.sourceState.setState('state', s.state, SOURCE_STATES, { source: s.source });
      if (s.lastReadingAt !== undefined) this.lastReadingAge.set({ source: s.source }, Math.max(0, nowMs - s.lastReadingAt) / 1000);
    }
  }

  /** Copies the agent's own error counters at each scrape, as watchSources does the sources'. */
  watchErrors(counts: () => ComponentErrors): void {
    this.registry.onCollect(() => this.observeErrors(counts()));
  }

  observeErrors(counts: ComponentErrors): void {
    for (const [component, codes] of Object.entries(counts)) {
      for (const [code, n] of Object.entries(codes ?? {})) this.errors.setTotal({ component, code }, n);
    }
  }

  /** Copies the signer's self-check counts at each scrape (a signer without a self-check reports none). */
  watchSignerSelfCheck(stats: () => SignerSelfCheckStats | undefined): void {
    this.registry.onCollect(() => {
      const s = stats();
      if (!s) return;
      this.selfChecked.setTotal(undefined, s.checked);
      this.selfCheckRepairs.setTotal(undefined, s.repaired);
      this.selfCheckRefused.setTotal(undefined, s.refusedBatches);
    });
  }

  /** Per-event alternatives for a port that has no SourceHealth of its own (e.g. the MCU link). */
  decodeError(port: string, code: string): void {
    this.decodeErrors.inc({ port, code });
  }
  discardedBytes(port: string, n: number): void {
    this.discarded.inc({ port }, n);
  }

  observationSigned(kind: string, seq: number, epoch: number): void {
    this.signed.inc({ kind });
    this.chainSeq.set(undefined, seq);
    this.chainEpoch.set(undefined, epoch);
  }

  chainHead(seq: number, epoch: number): void {
    this.chainSeq.set(undefined, seq);
    this.chainEpoch.set(undefined, epoch);
  }

  signerLatencySeconds(signer: 'tpm' | 'software', seconds: number): void {
    this.signerLatency.observe({ signer }, seconds);
  }

  signerError(signer: 'tpm' | 'software', code: string): void {
    this.signerErrors.inc({ signer, code });
  }

  outbox(depth: number, oldestUndeliveredAgeSeconds: number): void {
    this.outboxDepth.set(undefined, depth);
    this.outboxOldestAge.set(undefined, depth > 0 ? oldestUndeliveredAgeSeconds : 0);
  }

  delivered(latencySeconds: number): void {
    this.published.inc();
    this.publishLatency.observe(undefined, latencySeconds);
  }

  brokerState(state: BrokerState): void {
    this.broker.setState('state', state, BROKER_STATES);
  }

  brokerReconnect(): void {
    this.brokerReconnects.inc();
  }

  tpmState(state: TpmState): void {
    this.tpm.setState('state', state, TPM_STATES);
  }

  timeQuality(tq: { src: TimeSource; sync: boolean; errMs: number; offsetMs?: number }): void {
    this.timeSource.setState('src', tq.src, TIME_SOURCES);
    this.timeSynced.set(undefined, tq.sync ? 1 : 0);
    this.timeError.set(undefined, tq.errMs / 1000);
    if (tq.offsetMs !== undefined) this.timeOffset.set(undefined, tq.offsetMs / 1000);
  }

  budgetSuspension(scope: 'unit' | 'place'): void {
    this.suspensions.inc({ scope });
  }

  credential(c: { expiresInSeconds?: number; expiring: boolean; revoked: boolean; renewals: number; lists: number }): void {
    if (c.expiresInSeconds !== undefined) this.credExpiry.set(undefined, c.expiresInSeconds);
    this.credExpiring.set(undefined, c.expiring ? 1 : 0);
    this.credRevoked.set(undefined, c.revoked ? 1 : 0);
    this.credRenewals.setTotal(undefined, c.renewals);
    this.revocationLists.set(undefined, c.lists);
  }

  watchdogRound(round: { pinged: boolean; results: ReadonlyArray<{ name: string; ok: boolean }> }): void {
    if (round.pinged) this.watchdogPings.inc();
    for (const r of round.results) if (!r.ok) this.probeFailures.inc({ probe: r.name });
  }
}

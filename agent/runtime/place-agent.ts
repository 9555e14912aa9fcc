/**
 * The composition root's running agent: readings from sources feed the envelope and presence
 * logic; their claims are signed onto the chain, committed, and published; inbound grants are
 * verified and drive presence settlement. Every I/O object (store, publisher, signer, sources)
 * is built by the composition root (boot.ts) and passed in.
 */
import type { Reading, SourceHealth } from '../../core/reading.ts';
import { ErrorCounter, codeOf } from '../../core/coded-error.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';
import { ObservationChain, type Identity, type ObservationDraft, type SignedObservation, type TimeQuality } from '../lineage/observation.ts';
import { ObservationLog } from '../lineage/observation-log.ts';
import { LineageLogError } from '../lineage/errors.ts';
import { raiseStartEpoch } from './start-epoch.ts';
import type { SignerSelfCheckStats } from '../../core/ports/signer.ts';
import type { Publisher } from '../../core/ports/publisher.ts';
import { acceptFilter, grantFilter } from '../transport/topics.ts';
import { EnvelopeBuilder, envelopeBody } from '../domain/envelope.ts';
import { PresenceTracker, grantKey, type PresenceClaim } from '../domain/presence.ts';
import { GrantIntake } from './grant-intake.ts';
import { EnvelopeEmitter } from './envelope-emitter.ts';
import { GatewayFix } from '../domain/gateway-fix.ts';
import { CborFloat, type CborValue } from '../encoding/cbor-value.ts';
import { backgroundFailed, inBackground, type BackgroundContext } from './background.ts';
import { ReadingRouter } from './reading-router.ts';
import { compressRanges, withTimeout } from './bounded-wait.ts';
import { emitGap, relievePressure, type OutboxPressureContext } from './outbox-pressure.ts';

export { compressRanges };
import { presenceDraft } from './claims-to-drafts.ts';
import { restoreBudgets } from './budget-replay.ts';
import { AcceptanceIntake } from './acceptance-intake.ts';
import { AgentTrust } from './agent-trust.ts';
import { ClockStepWatch } from './clock-step.ts';
import type { PlaceAgentOptions } from './place-agent-options.ts';

export type { PlaceAgentOptions };

export class PlaceAgent {
  readonly chain: ObservationChain;
  readonly log: ObservationLog;
  readonly publisher: Publisher;
  readonly presence: PresenceTracker;
  readonly grants: GrantIntake;
  /** Revocation lists followed, and the own credential: revoked, renewed, expiring (agent-trust.ts). */
  readonly trust: AgentTrust;
  readonly acceptances: AcceptanceIntake;
  readonly errors = new ErrorCounter<AgentCountedCode>();
  /** Where a task nobody waits for counts and logs its failure (background.ts). */
  private get bg(): BackgroundContext { return { errors: this.errors, logger: this.o.logger }; }
  readonly envelope: EnvelopeBuilder;
  private readonly envelopeEmitter: EnvelopeEmitter;
  private readonly router: ReadingRouter;
  readonly gatewayFix: GatewayFix;
  private readonly timers: NodeJS.Timeout[] = [];
  private sinceCheckpoint = 0;
  readingsSeen = 0;
  lastReadingAt: number | undefined;
  epoch = 0n;
  private stopping = false;
  private readonly listeners: ((o: SignedObservation) => void)[] = [];
  readonly startedAt: number;
  private readonly clockSteps: ClockStepWatch;

  constructor(private readonly o: PlaceAgentOptions) {
    this.startedAt = o.clock.now();
    this.clockSteps = new ClockStepWatch(o.clock);
    this.chain = new ObservationChain(o.signer, o.identity, o.store.head());
    this.envelope = new EnvelopeBuilder(o.profile ?? { type: 'custom', dims: [], reliability: {} }, o.envelope.intervalMs);
    const { holdMs, ...policy } = o.presence;
    this.presence = new PresenceTracker(holdMs, { ...policy, physical: this.envelope.physicalFeeds.length > 0 });
    this.gatewayFix = new GatewayFix(o.position);
    // Grant answers go through emit (silenced while revoked); announce signs even then (the one notice).
    const answer = (body: { [k: string]: CborValue }) => this.emit({ kind: 'reservation', body });
    const announce = (body: { [k: string]: CborValue }) => this.log.submit(this.draft({ kind: 'status', body })).catch(() => undefined);
    this.grants = new GrantIntake({ place: o.place, anchors: o.anchors, clock: o.clock, logger: o.logger.child('grants'), errors: this.errors, grants: o.store.grants, answer, track: (g, settled) => this.trust.tracking(g) && this.presence.addGrant(g, settled), revoked: (g) => this.trust.grantRevoked(g) });
    this.trust = new AgentTrust({ ...o, errors: this.errors, state: o.trustState, presence: this.presence, subscribe: (t, h) => this.publisher.subscribe(t, h), announce, answer, switchTo: (id) => this.chain.useIdentity(id) });
    this.acceptances = new AcceptanceIntake({
      place: o.place, anchors: o.anchors, chains: this.grants.chains.verify, clock: o.clock, logger: o.logger.child('acceptances'), errors: this.errors, grants: o.store.grants,
      grantsFor: (r) => this.presence.grantsFor(r), freshMs: holdMs, ...(this.envelope.profile.anchor ? { anchor: this.envelope.profile.anchor } : {}),
      accept: (g, a, d) => this.submitPresence(this.presence.observeAcceptance({ grant: g, hash: a.hash, t: o.clock.now(), ...(d !== undefined ? { distanceM: d } : {}) })),
    });
    this.router = new ReadingRouter(this.envelope, this.presence, o.identitySources ?? new Map());
    this.envelopeEmitter = new EnvelopeEmitter(this.envelope, {
      minIntervalMs: o.envelope.minIntervalMs ?? 1000,
      clock: o.clock,
      sign: (e) => this.emit({ kind: 'envelope', body: envelopeBody(e), t: e.valid[0] }),
      failed: (e) => backgroundFailed('envelope', e, this.bg),
    });
    this.publisher = o.publisher;
    this.log = new ObservationLog(this.chain, o.store, {
      logger: o.logger.child('log'),
      onCommitted: (batch, rows) => {
        this.publisher.offer(rows.map((r) => ({ seq: r.obs.seq, topic: r.topic, retain: r.retain, bytes: r.obs.bytes, kind: r.obs.kind })));
        for (const ob of batch) {
          this.o.onObservation?.(ob);
          for (const l of this.listeners) l(ob);
          if (ob.kind !== 'checkpoint' && ++this.sinceCheckpoint >= o.checkpoint.every) void this.checkpoint();
        }
      },
    });
  }

  /** The retained status message's content: who this is and where its chain stands. */
  birth(): Record<string, unknown> {
    return { iss: this.o.identity.iss, head: this.chain.current().seq, epoch: String(this.epoch), ...(this.trust.revoked ? { credential: 'revoked' } : {}) };
  }

  async start(): Promise<void> {
    // Before anything is signed: a store behind the recorded head would fork the chain.
    const before = await this.o.epoch.read();
    const lost = this.o.chainMarker?.check(this.o.store.head(), this.o.store.path, this.o.newChain ?? false, { value: before, kind: this.o.epoch.kind }, (msg, fields) => this.o.logger.warn(msg, fields));
    // The epoch rises at every start (DESIGN.md, "Lineage"), recorded in the store before it
    // rises (start-epoch.ts): a restored database shows up as a chain whose epoch went back.
    this.epoch = await raiseStartEpoch(this.o.epoch, this.o.store, before);
    this.chain.setEpoch(this.epoch);
    await this.chain.prime();
    await this.trust.start(await this.o.signer.publicKey());
    for (const g of this.o.store.grants.active(this.o.clock.now())) {
      if (this.grants.receive(g.bytes, { stored: true, ...(g.settlement ? { settlement: g.settlement } : {}) }) && g.acceptance) this.acceptances.receive(g.acceptance, { stored: true, reservation: g.reservation });
    }
    restoreBudgets(this.presence, this.o.store, this.o.clock.now(), this.errors);
    this.publisher.subscribe(grantFilter(this.o.place), (topic, payload) => this.acceptGrant(payload, topic));
    this.publisher.subscribe(acceptFilter(this.o.place), (topic, payload) => this.acceptances.receive(payload, { topic }));
    this.publisher.start();
    // The clock baseline is taken now, not at the first presence tick: a step in the first
    // second (timesyncd's first sync comes soon after boot) would otherwise go unrecorded.
    this.checkClock();
    const started = { event: 'started', epoch_kind: this.o.epoch.kind, signer: this.o.signer.kind, head_before: this.chain.current().seq };
    await this.emit({ kind: 'status', body: lost ? { ...started, new_chain: lost } : started });
    this.o.chainMarker?.record(this.o.store.head(), this.o.logger);
    // Drops whose signed gap did not make it before a crash are declared now.
    const pendingGap = this.o.store.pendingGap();
    if (pendingGap.length) this.emitGap(pendingGap);
    for (const src of this.o.sources) {
      await src.start((r) => this.onReading(r)).catch((e) => {
        this.errors.count('SOURCE_START_FAILED');
        this.o.logger.error('source failed to start; it will be reported down', { source: src.id, error: e as Error });
      });
    }
    this.timers.push(setInterval(() => inBackground('envelope', () => this.envelopeTick(), this.bg), this.o.envelope.intervalMs));
    this.timers.push(setInterval(() => inBackground('presence', async () => this.presenceTick(), this.bg), 1000));
    this.timers.push(setInterval(() => void this.checkpoint(), this.o.checkpoint.intervalMs));
    this.timers.push(setInterval(() => inBackground('credential expiry', () => this.trust.credential.checkExpiry(), this.bg), 60_000));
  }

  private draft(d: Omit<ObservationDraft, 'place' | 't' | 'tq'> & { t?: number }): ObservationDraft {
    const t = d.t ?? this.o.clock.now();
    const location = this.gatewayFix.location(t);
    return { place: this.o.place, t, tq: this.timeQuality(), ...(location ? { location } : {}), ...d };
  }

  emit(d: Omit<ObservationDraft, 'place' | 't' | 'tq'> & { t?: number }): Promise<SignedObservation | undefined> {
    if (this.trust.silence) return Promise.resolve(void this.errors.count(this.trust.silence));
    return this.log.submit(this.draft(d)).catch((e) => {
      this.countUnrecorded(e, RuntimeErrorCode.EMIT_FAILED);
      this.o.logger.error('observation not recorded', { kind: d.kind, error: e as Error });
      return undefined;
    });
  }

  onReading(r: Reading): void {
    if (this.stopping) return;
    this.readingsSeen++;
    this.lastReadingAt = r.t;
    // Called from inside each driver's read path: whatever goes wrong here must not unwind into
    // the driver (a Modbus poll loop would lose the rest of its round and pause for a restart backoff).
    try {
      if (r.modality === 'gnss') this.onGatewayFix(r);
      const routed = this.router.route(r);
      if (routed.envelopeFed) this.envelopeEmitter.changed();
      this.submitPresence(routed.claims);
    } catch (e) {
      this.errors.count(RuntimeErrorCode.READING_FAILED);
      this.o.logger.error('a reading could not be handled; dropped', { code: RuntimeErrorCode.READING_FAILED, source: r.source, modality: r.modality, error: e as Error });
    }
  }

  /**
   * Signs presence claims; once one is committed, the grant's settlement is saved with it so a
   * restart neither repeats nor contradicts it (a false no-show for a moored vessel).
   */
  private submitPresence(claims: PresenceClaim[]): void {
    if (this.trust.silence && claims.length) this.errors.count(this.trust.silence, claims.length);
    else for (const c of claims) {
      // The grants this claim names: kept while an observation names them (grant-store.ts), and
      // how far each got saved so a restart neither repeats nor contradicts it.
      const named = c.kind === 'suspension' ? (c.reservation !== undefined ? this.presence.grantsFor(c.reservation) : []) : c.grant ? [c.grant] : [];
      const reservation = named[0]?.reservation;
      this.log
        .submit(this.locate(presenceDraft(c, this.o.place, this.o.clock.now(), this.timeQuality())))
        .then((obs) => {
          const states = this.presence.grantStates();
          for (const g of named) {
            if (c.kind !== 'suspension') this.o.store.grants.named(g.hash, obs.seq);
            const st = states.get(grantKey(g));
            if (st && c.kind !== 'reservation') this.o.store.grants.saveSettlement(g.cti, JSON.stringify(st));
          }
        })
        .catch((e) => {
          this.countUnrecorded(e, RuntimeErrorCode.PRESENCE_EMIT_FAILED);
          this.o.logger.error('presence claim not recorded', { kind: c.kind, reservation, error: e as Error });
        });
    }
  }

  /**
   * Counts an observation that was not recorded, unless the log refused it: the log counts its
   * own refusals (OBS_TOO_LARGE, LOG_BACKLOG, LOG_ABANDONED) under component `log`, and counting
   * them here too showed each one twice in place_agent_errors_total.
   */
  private countUnrecorded(e: unknown, fallback: RuntimeErrorCode): void {
    if (!(e instanceof LineageLogError)) this.errors.count(codeOf(e, fallback));
  }

  private locate(d: ObservationDraft): ObservationDraft {
    const location = this.gatewayFix.location(d.t);
    return location ? { ...d, location } : d;
  }

  /** A GNSS fix far from the surveyed position: the gateway is not at its place, and says so once. */
  private onGatewayFix(r: Reading): void {
    const moved = this.gatewayFix.observe(r);
    if (!moved) return;
    this.o.logger.warn('GNSS fix far from the surveyed position', { measuredM: moved.measuredM, requiredM: moved.requiredM });
    void this.emit({
      kind: 'status',
      body: {
        event: 'gateway-moved',
        measured_m: moved.measuredM,
        required_m: moved.requiredM,
        fix: { lat: new CborFloat(moved.fix.lat), lon: new CborFloat(moved.fix.lon), accuracy_m: new CborFloat(moved.fix.accuracyM) },
      },
    });
  }

  /** A grant from the grants topic (or a test): see grant-intake.ts. */
  acceptGrant(bytes: Uint8Array, topic = 'direct'): boolean {
    if (this.trust.silence) return (this.errors.count(this.trust.silence), false);
    return this.grants.receive(bytes, { topic });
  }

  private async envelopeTick(): Promise<void> {
    relievePressure(this.pressure);
    await this.envelopeEmitter.periodic();
  }

  /** The outbox bound's side (outbox-pressure.ts): superseded envelopes dropped, and the signed gap for them. */
  private get pressure(): OutboxPressureContext {
    return { ...this.bg, store: this.o.store, maxUndelivered: this.o.maxUndelivered, emit: (d) => this.emit(d) };
  }

  private emitGap(seqs: number[]): void {
    emitGap(seqs, this.pressure);
  }

  /** A wall-clock step (NTP correction, RTC set) is recorded as a `time` observation; seq, not time, orders the chain. */
  private checkClock(): void {
    const step = this.clockSteps.check();
    if (step) void this.emit({ kind: 'time', body: { event: 'clock-step', ...step } });
  }

  private presenceTick(): void {
    this.checkClock();
    const now = this.o.clock.now();
    this.submitPresence(this.presence.tick(now));
  }

  private checkpointRun: Promise<void> | undefined;
  /** One checkpoint at a time; shutdown waits for the one in progress. */
  checkpoint(): Promise<void> {
    if (this.checkpointRun || this.stopping) return this.checkpointRun ?? Promise.resolve();
    this.checkpointRun = this.runCheckpoint().finally(() => (this.checkpointRun = undefined));
    return this.checkpointRun;
  }

  private async runCheckpoint(): Promise<void> {
    try {
      this.sinceCheckpoint = 0;
      await this.log.drain();
      const head = this.chain.current();
      this.epoch = await this.o.epoch.increment();
      this.chain.setEpoch(this.epoch);
      await this.emit({ kind: 'checkpoint', body: { head_seq: head.seq, head_hash: head.hash, epoch: this.epoch, counter: this.o.epoch.kind } });
      this.o.chainMarker?.record(this.o.store.head(), this.o.logger);
      if (this.o.retention) {
        const r = this.o.store.archiveAndPrune(this.o.clock.now() - this.o.retention.ms, this.o.retention.auditDir);
        if (r.archived) this.o.logger.info('archived and pruned delivered observations past retention', { archived: r.archived, file: r.file });
      }
    } catch (e) {
      this.errors.count('CHECKPOINT_FAILED');
      this.o.logger.error('checkpoint failed', { error: e as Error });
    }
  }

  /** Adds a listener for committed observations (metrics, status). */
  onObservation(l: (o: SignedObservation) => void): void {
    this.listeners.push(l);
  }

  get place(): string {
    return this.o.place;
  }

  get identity(): Identity {
    return this.trust.credential.identity;
  }

  get signerKind(): 'software' | 'tpm' {
    return this.o.signer.kind;
  }

  get sourceCount(): number {
    return this.o.sources.length;
  }

  /** The host clock's quality, measured against GNSS time while a fix carrying it is held. */
  timeQuality(): TimeQuality {
    return this.gatewayFix.timeQuality(this.o.clock.now(), this.o.timeQuality());
  }

  /** Liveness of the signer: one signature over a fixed message. */
  async probeSigner(): Promise<number> {
    const t0 = performance.now();
    await this.o.signer.sign(new TextEncoder().encode('place-agent liveness probe'));
    return performance.now() - t0;
  }

  signerSelfCheck(): SignerSelfCheckStats | undefined {
    return this.o.signer.selfCheckStats?.();
  }

  sourceHealth(): SourceHealth[] {
    return this.o.sources.map((s) => s.health());
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.trust.revocations.stop();
    this.envelopeEmitter.stop();
    await Promise.allSettled(this.o.sources.map((s) => s.stop()));
    // Every wait is bounded: with a full disk or a vanished TPM a commit may never succeed, and
    // shutdown must still finish inside systemd's TimeoutStopSec. What is committed stays safe.
    await withTimeout(this.checkpointRun, 5000);
    await withTimeout(this.emit({ kind: 'status', body: { event: 'stopping' } }), 5000);
    await withTimeout(this.log.drain(), 5000);
    if (this.log.depth > 0) this.o.logger.error('stopping with observations not committed', { queued: this.log.depth });
    this.log.abandon('agent stopping');
    this.o.chainMarker?.record(this.o.store.head(), this.o.logger);
    // Give the broker a moment to acknowledge what is in flight; the rest stays in the outbox.
    const deadline = Date.now() + 2000;
    try {
      while (this.publisher.isConnected && (this.publisher.inflightCount > 0 || this.o.store.outboxStats().depth > 0) && Date.now() < deadline) {
        this.publisher.kick();
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (e) {
      this.o.logger.warn('could not read the outbox while stopping', { error: e as Error });
    }
    await this.publisher.stop();
    await withTimeout(this.o.epoch.close(), 2000);
    await withTimeout(this.o.signer.close(), 2000);
  }
}

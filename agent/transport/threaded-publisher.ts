/**
 * The MQTT publisher in a worker thread. Signing is strictly serial on the main thread (each
 * prev is the hash of the observation before), so everything else that costs per observation
 * goes elsewhere: this thread hands committed rows over and records the PUBACKs the worker
 * reports (it keeps every write to the store: a second writer would wait on this thread's
 * commits in SQLite's busy handler); the worker publishes (QoS 1, seq order) and reads the
 * outbox back through its own connection after a reconnect. Same contract as MqttPublisher; stats, errors and connection
 * state are mirrored here from the worker's reports (at most ~100 ms old). A worker that dies
 * is counted (MQTT_WORKER_FAILED) and started again; the outbox keeps what it had not sent.
 */
import type { Worker } from 'node:worker_threads';
import { CodedError, ErrorCounter, codeOf } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import type { ObservationStore, OutboxRow } from '../store/store.ts';
import { spawnWorker } from '../workers/spawn.ts';
import type { PublisherOptions } from './mqtt-publisher.ts';
import type { Publisher, PublisherStats, RawPublishOptions } from '../../core/ports/publisher.ts';
import { packRows, type FromWorker, type ToWorker } from './threaded-protocol.ts';
import { Backoff } from '../../core/backoff.ts';
import { MqttError, MqttErrorCode, type PublisherErrorCode } from './errors.ts';


export class ThreadedPublisher implements Publisher {
  private worker: Worker | undefined;
  private started = false;
  private stopping = false;
  private respawnTimer: NodeJS.Timeout | undefined;
  /** Between restarts of a worker that keeps dying (e.g. it cannot open the database): 1 s up to 30 s. */
  private readonly respawnBackoff = new Backoff({ initialMs: 1000, maxMs: 30_000, minMs: 1000, jitter: 1 });
  private readonly handlers = new Map<string, (topic: string, payload: Uint8Array) => void>();
  private readonly connectedListeners: (() => void)[] = [];
  private readonly deliveredListeners: ((seq: number, latencyMs: number) => void)[] = [];
  private readonly raw = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextRawId = 1;
  private inflight = 0;
  private reportedErrors: Record<string, number> = {};
  private stopped: (() => void) | undefined;
  readonly errors = new ErrorCounter<PublisherErrorCode>();
  readonly stats: PublisherStats = { connected: false, published: 0, acked: 0, reconnects: 0 };
  private readonly logger: Logger;

  constructor(
    private readonly store: ObservationStore,
    private readonly opts: PublisherOptions,
  ) {
    this.logger = opts.logger;
  }

  private spawn(): void {
    const { logger: _l, birth, backoff: _b, ...options } = this.opts;
    this.reportedErrors = {};
    const w = spawnWorker(new URL('./publisher-worker.ts', import.meta.url), { dbPath: this.store.path, options, birth: birth() });
    this.worker = w;
    this.autoCheckpoint(false);
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => {
      this.errors.count('MQTT_WORKER_FAILED');
      this.logger.error('publisher worker failed; restarting it', { error: e });
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.autoCheckpoint(true);
      this.setConnected(false);
      this.inflight = 0;
      for (const [id, p] of this.raw) {
        this.raw.delete(id);
        p.reject(new MqttError('MQTT_NOT_CONNECTED', 'the publisher worker stopped'));
      }
      if (this.stopping) return this.stopped?.();
      this.errors.count('MQTT_WORKER_EXITED');
      this.logger.error('publisher worker exited; restarting it', { code });
      this.respawnTimer = setTimeout(() => this.boot(), this.respawnBackoff.next());
    });
  }

  private boot(): void {
    if (this.stopping) return;
    this.spawn();
    for (const filter of this.handlers.keys()) this.post({ t: 'subscribe', filter });
    if (this.started) this.post({ t: 'start' });
  }

  private post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  private setConnected(c: boolean): void {
    this.stats.connected = c;
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'log':
        this.logger.child(m.ns.replace(/^mqtt:?/, '') || 'worker')[m.level](m.msg, m.fields);
        return;
      case 'stats': {
        Object.assign(this.stats, m.stats);
        this.inflight = m.inflight;
        for (const [code, n] of Object.entries(m.errors)) {
          const d = n - (this.reportedErrors[code] ?? 0);
          // The worker's own counter took only these codes; the message carries them as text.
          if (d > 0) this.errors.count(code as PublisherErrorCode, d);
        }
        this.reportedErrors = m.errors;
        return;
      }
      case 'connected':
        this.respawnBackoff.reset();
        this.setConnected(true);
        for (const fn of this.connectedListeners) fn();
        return;
      case 'delivered':
        this.recordDelivered(m.items.map(([seq]) => seq));
        for (const [seq, ms] of m.items) for (const l of this.deliveredListeners) l(seq, ms);
        return;
      case 'message':
        this.handlers.get(m.filter)?.(m.topic, new Uint8Array(m.payload));
        return;
      case 'rawDone': {
        const p = this.raw.get(m.id);
        this.raw.delete(m.id);
        if (!p) return;
        if (m.error) p.reject(new CodedError(codeOf(m.error, MqttErrorCode.MQTT_PUBLISH_FAILED), m.error.message));
        else p.resolve();
        return;
      }
      case 'stopped':
        this.stopped?.();
        return;
    }
  }

  /** While the worker runs it checkpoints the WAL; otherwise this connection does it itself. */
  private autoCheckpoint(on: boolean): void {
    try {
      this.store.setAutoCheckpoint(on);
    } catch (e) {
      this.logger.warn('could not change WAL checkpointing', { error: e as Error });
    }
  }

  private recordDelivered(seqs: number[]): void {
    try {
      this.store.markDeliveredMany(seqs, Date.now());
    } catch (e) {
      // Not recording a delivery only causes a resend later; count it and go on.
      this.errors.count(codeOf(e, 'STORE_IO'));
      this.stats.lastError = (e as Error).message;
      this.logger.error('could not record deliveries', { error: e as Error });
    }
  }

  start(): void {
    this.started = true;
    this.stopping = false;
    if (!this.worker) this.boot();
    else this.post({ t: 'start' });
  }

  subscribe(filter: string, handler: (topic: string, payload: Uint8Array) => void): void {
    this.handlers.set(filter, handler);
    this.post({ t: 'subscribe', filter });
  }

  onConnected(fn: () => void): void {
    this.connectedListeners.push(fn);
  }

  onDelivered(fn: (seq: number, latencyMs: number) => void): void {
    this.deliveredListeners.push(fn);
  }

  publishRaw(topic: string, payload: Uint8Array | string, opts: RawPublishOptions = {}): Promise<void> {
    if (!this.worker || !this.stats.connected) return Promise.reject(new MqttError('MQTT_NOT_CONNECTED', 'not connected to the broker'));
    const id = this.nextRawId++;
    return new Promise((resolve, reject) => {
      this.raw.set(id, { resolve, reject });
      this.post({ t: 'raw', id, topic, payload, opts });
    });
  }

  offer(rows: OutboxRow[]): void {
    if (!this.worker) return; // the worker reads the outbox when it comes back
    const packed = packRows(rows);
    this.post({ t: 'offer', rows: packed, birth: this.opts.birth() }, [packed.bytes]);
  }

  kick(): void {
    this.post({ t: 'kick' });
  }

  get isConnected(): boolean {
    return this.stats.connected;
  }

  get inflightCount(): number {
    return this.inflight;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.respawnTimer);
    const w = this.worker;
    if (!w) return;
    // The worker publishes the offline status, closes its connection and its database; if it
    // does not answer in time it is terminated (what it had not sent stays in the outbox).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      this.stopped = () => {
        clearTimeout(timer);
        resolve();
      };
      this.post({ t: 'stop' });
    });
    this.stopped = undefined;
    this.worker = undefined;
    this.setConnected(false);
    await w.terminate();
    this.autoCheckpoint(true);
  }
}

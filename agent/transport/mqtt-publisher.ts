/**
 * Publishes the outbox over MQTT (DESIGN.md, "MQTT" and "Failure semantics"): QoS 1, in seq
 * order, a row marked delivered only when its PUBACK arrives. Each connection is a fresh
 * mqtt.js client with its own reconnect disabled: after a drop we wait a capped, jittered
 * backoff, connect again and drain from the oldest undelivered row, so a consumer sees the
 * chain in order (deduplicating on (iss, seq) where a drop caused a resend).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { writeToStream } from 'mqtt-packet';
import { ErrorCounter, codeOf } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import type { ObservationStore, OutboxRow } from '../store/store.ts';
import { Backoff, type BackoffOptions } from '../../core/backoff.ts';
import type { BrokerCredentials } from './broker-credentials.ts';
import { brokerErrorCode } from './broker-errors.ts';
import { COSE_CONTENT_TYPE, statusTopic } from './topics.ts';
import type { Publisher, PublisherStats, RawPublishOptions } from '../../core/ports/publisher.ts';
import { topicMatches } from './topics.ts';
import { MqttError, type PublisherErrorCode } from './errors.ts';

// mqtt-packet (mqtt.js's and aedes' packet writer) builds, at the first packet it writes, a
// cache of 65,536 two-byte Buffers, one per 16-bit number: about 6.5 MB of heap in each thread
// that publishes (measured in a heap snapshot of the agent), to save one 2-byte allocation per
// packet id and topic length. Turned off before any packet is written, as its README asks.
writeToStream.cacheNumbers = false;


export interface PublisherOptions extends BrokerCredentials {
  url: string;
  clientId: string;
  place: string;
  protocolVersion?: 4 | 5;
  /** Most PUBLISHes awaiting PUBACK at once. */
  window?: number;
  /**
   * Whether PUBACKs are recorded in the store here (default). False when another thread owns
   * the store's writes and records them from onDelivered (ThreadedPublisher).
   */
  recordDeliveries?: boolean;
  /** Most committed rows kept in memory to publish without reading them back (default 16 windows). */
  freshMax?: number;
  /** Reconnect schedule; default 0.5 s doubling to 30 s, full jitter, at least 100 ms. */
  backoff?: BackoffOptions;
  logger: Logger;
  /** Status payload for the retained birth message; the will says offline. */
  birth: () => Record<string, unknown>;
}

/** Largest packet the agent accepts: the 16 KiB object bound plus room for the topic and properties. */
export const MAX_INBOUND_PACKET = 16 * 1024 + 1024;

export class MqttPublisher implements Publisher {
  private client: MqttClient | undefined;
  private generation = 0;
  private connected = false;
  private stopped = false;
  private inflight = new Set<number>();
  private lastQueued = 0;
  private ackBuffer: number[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private refillScheduled = false;
  private pumpRetry: NodeJS.Timeout | undefined;
  readonly errors = new ErrorCounter<PublisherErrorCode>();
  /** Rows just committed, kept in memory so a caught-up publisher need not read them back. */
  private fresh: OutboxRow[] = [];
  /**
   * True once a read of the outbox came back short (nothing older is waiting) and no offered
   * row has been dropped since: from then on every new row arrives through offer(), so an empty
   * `fresh` means there is nothing to send and the outbox need not be read.
   */
  private drained = false;
  private readonly backoff: Backoff;
  private readonly window: number;
  readonly stats: PublisherStats = { connected: false, published: 0, acked: 0, reconnects: 0 };
  private readonly subscriptions = new Map<string, (topic: string, payload: Uint8Array) => void>();
  private onConnectedListeners: (() => void)[] = [];
  private deliveredListeners: ((seq: number, latencyMs: number) => void)[] = [];

  /** Called on each PUBACK with the publish-to-PUBACK latency (metrics). */
  onDelivered(fn: (seq: number, latencyMs: number) => void): void {
    this.deliveredListeners.push(fn);
  }

  constructor(
    private readonly store: ObservationStore,
    private readonly opts: PublisherOptions,
  ) {
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, minMs: 100, jitter: 1, ...opts.backoff });
    this.window = opts.window ?? 512;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Subscribes (now and after every reconnect) to a topic filter. */
  subscribe(filter: string, handler: (topic: string, payload: Uint8Array) => void): void {
    this.subscriptions.set(filter, handler);
    if (this.connected) this.client?.subscribe(filter, { qos: 1 });
  }

  onConnected(fn: () => void): void {
    this.onConnectedListeners.push(fn);
  }

  /** Publishes a message outside the chain (grants from the simulation, status). */
  publishRaw(topic: string, payload: Uint8Array | string, opts: RawPublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) return Promise.reject(new MqttError('MQTT_NOT_CONNECTED', 'not connected to the broker'));
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload), { qos: 1, retain: opts.retain ?? false, properties: this.props(opts.contentType, opts.expirySec) }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  private props(contentType?: string, expirySec?: number): Record<string, unknown> | undefined {
    if ((this.opts.protocolVersion ?? 5) !== 5) return undefined;
    return { contentType, ...(expirySec !== undefined ? { messageExpiryInterval: expirySec } : {}) };
  }

  private connect(): void {
    const gen = ++this.generation;
    const o = this.opts;
    const will = JSON.stringify({ state: 'offline', client: o.clientId });
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: o.protocolVersion ?? 5,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password } : {}),
      // mqtts://: the broker's certificate must chain to `ca` (the system store without one)
      // and name the URL's host (mqtt.js passes it to tls.connect as servername, Node checks
      // it against the subjectAltName); `cert`/`key` authenticate this gateway.
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
      rejectUnauthorized: true,
      // MQTT 5 §3.1.2.11.4: the broker must not send a packet larger than this; inbound signed
      // objects are bounded at 16 KiB (DESIGN.md), so a 2 MB retained "grant" never reaches us.
      ...((o.protocolVersion ?? 5) === 5 ? { properties: { maximumPacketSize: MAX_INBOUND_PACKET } } : {}),
      will: { topic: statusTopic(o.place), payload: Buffer.from(will), qos: 1, retain: true },
      // mqtt.js traces every packet through the `debug` package, a call per line even when off;
      // with DEBUG unset those calls are skipped (DEBUG=mqttjs* brings them back).
      ...(process.env.DEBUG ? {} : { log: () => undefined }),
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.generation) return;
      this.connected = true;
      this.stats.connected = true;
      this.backoff.reset();
      this.inflight.clear();
      this.lastQueued = 0;
      this.fresh = [];
      this.drained = false;
      o.logger.info('connected to broker', { url: o.url });
      client.publish(statusTopic(o.place), JSON.stringify({ state: 'online', client: o.clientId, ...o.birth() }), { qos: 1, retain: true });
      for (const filter of this.subscriptions.keys()) client.subscribe(filter, { qos: 1 });
      for (const fn of this.onConnectedListeners) fn();
      this.kick();
    });
    client.on('message', (topic, payload) => {
      for (const [filter, handler] of this.subscriptions) if (topicMatches(filter, topic)) handler(topic, new Uint8Array(payload));
    });
    client.on('error', (err) => {
      if (gen !== this.generation) return;
      const code = brokerErrorCode(err);
      this.errors.count(code);
      this.stats.lastError = `${code}: ${err.message}`;
      this.stats.lastErrorCode = code;
      o.logger.warn('broker connection error', { url: o.url, code, error: err.message });
    });
    client.on('close', () => {
      if (gen !== this.generation) return;
      this.onDrop();
    });
  }

  private onDrop(): void {
    const was = this.connected;
    this.connected = false;
    this.stats.connected = false;
    this.client?.end(true);
    this.client = undefined;
    this.generation++;
    this.inflight.clear();
    this.fresh = [];
    this.drained = false;
    if (this.stopped) return;
    if (was) this.opts.logger.warn('broker connection lost; will reconnect', { url: this.opts.url });
    const delay = this.backoff.next();
    this.stats.reconnects++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Hands over rows just committed (in seq order); they are published without a read-back when the publisher is caught up. */
  offer(rows: OutboxRow[]): void {
    if (this.connected && this.fresh.length + rows.length <= (this.opts.freshMax ?? 16 * this.window)) for (const r of rows) this.fresh.push(r);
    else {
      this.fresh = [];
      this.drained = false;
    }
    this.kick();
  }

  /** Tells the publisher new rows were committed. */
  kick(): void {
    if (!this.connected || this.pumping) return;
    this.pumping = true;
    try {
      this.pump();
    } catch (e) {
      // A store read failing (locked, I/O error) must not take the agent down: count, log, retry.
      this.stats.lastError = (e as Error).message;
      this.errors.count(codeOf(e, 'MQTT_PUMP_FAILED'));
      this.opts.logger.error('could not read the outbox; will retry', { error: e as Error });
      clearTimeout(this.pumpRetry);
      this.pumpRetry = setTimeout(() => this.kick(), 1000);
    } finally {
      this.pumping = false;
    }
  }

  private pump(): void {
    const client = this.client;
    const gen = this.generation;
    while (client && this.connected && this.inflight.size < this.window) {
      const want = this.window - this.inflight.size;
      while (this.fresh.length && this.fresh[0]!.seq <= this.lastQueued) this.fresh.shift();
      let rows: OutboxRow[];
      if (this.fresh.length && this.fresh[0]!.seq === this.lastQueued + 1) rows = this.fresh.splice(0, want);
      else if (this.fresh.length === 0 && this.drained) return;
      else {
        this.fresh = [];
        rows = this.store.pending(this.lastQueued, want);
        this.drained = rows.length < want;
      }
      if (rows.length === 0) return;
      for (const row of rows) {
        this.lastQueued = row.seq;
        this.inflight.add(row.seq);
        const sentAt = performance.now();
        this.stats.published++;
        // A Buffer view of the row's bytes, not a copy (the rows are not changed once committed).
        client.publish(row.topic, Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength), { qos: 1, retain: row.retain, properties: this.props(COSE_CONTENT_TYPE) }, (err) => {
          if (gen !== this.generation && err) return;
          if (err) {
            // A PUBACK with a failure reason code (not authorised, quota exceeded, ...) on a live
            // connection: nothing is marked delivered; reconnect so the outbox drains again from
            // the oldest undelivered row, in order, after a backoff.
            this.errors.count('MQTT_PUBLISH_REJECTED');
            this.stats.lastError = err.message;
            this.stats.lastErrorCode = 'MQTT_PUBLISH_REJECTED';
            this.opts.logger.warn('broker rejected a publish; reconnecting to resend in order', { seq: row.seq, error: err });
            if (gen === this.generation && this.connected) this.onDrop();
            return;
          }
          this.inflight.delete(row.seq);
          this.stats.acked++;
          this.stats.lastLatencyMs = performance.now() - sentAt;
          for (const l of this.deliveredListeners) l(row.seq, this.stats.lastLatencyMs);
          if (this.opts.recordDeliveries !== false) {
            this.ackBuffer.push(row.seq);
            this.scheduleAckFlush();
          }
          if (!this.refillScheduled) {
            // Every slot a PUBACK frees is refilled, once per turn of the event loop however many
            // PUBACKs arrived in it. Waiting for half the window to drain first stalled on a
            // broker that leaves Nagle's algorithm on (mosquitto's default, set_tcp_nodelay
            // false): with nothing more to send, this side's delayed ACK held the broker's
            // buffered PUBACKs for tens of ms. Measured draining a backlog with a 512 window:
            // about 10k/s refilling at half, about 20k/s refilling at once, at the same CPU.
            this.refillScheduled = true;
            setImmediate(() => {
              this.refillScheduled = false;
              this.kick();
            });
          }
        });
      }
    }
  }

  private scheduleAckFlush(): void {
    if (this.ackBuffer.length >= 256) return this.flushAcks();
    this.ackTimer ??= setTimeout(() => this.flushAcks(), 10);
  }

  private flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const seqs = this.ackBuffer;
    this.ackBuffer = [];
    try {
      this.store.markDeliveredMany(seqs, Date.now());
    } catch (e) {
      // Not recording a delivery only causes a resend later; count it and go on.
      this.stats.lastError = (e as Error).message;
      this.opts.logger.error('could not record deliveries', { error: e as Error });
    }
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pumpRetry);
    const client = this.client;
    if (client && this.connected) {
      await new Promise<void>((resolve) => client.publish(statusTopic(this.opts.place), JSON.stringify({ state: 'offline', client: this.opts.clientId }), { qos: 1, retain: true }, () => resolve()));
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    } else client?.end(true);
    this.flushAcks();
    this.connected = false;
    this.generation++;
  }
}

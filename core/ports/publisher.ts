/**
 * What the agent needs of its MQTT side: MqttPublisher (in the calling thread) and
 * ThreadedPublisher (the same publisher in a worker thread) both provide it, and both pass
 * test/contract/publisher.contract.ts.
 */
import type { ErrorCounts } from '../coded-error.ts';
import type { OutboxRow } from './store.ts';

export interface PublisherStats {
  connected: boolean;
  published: number;
  acked: number;
  reconnects: number;
  lastError?: string;
  /** The coded reason of lastError (agent/transport/broker-errors.ts for connection failures). */
  lastErrorCode?: string;
  /** Milliseconds from publish to PUBACK of the most recent message. */
  lastLatencyMs?: number;
}

export interface RawPublishOptions {
  retain?: boolean;
  expirySec?: number;
  contentType?: string;
}

export interface Publisher {
  start(): void;
  stop(): Promise<void>;
  /** Subscribes (now and after every reconnect) to a topic filter. */
  subscribe(filter: string, handler: (topic: string, payload: Uint8Array) => void): void;
  onConnected(fn: () => void): void;
  /** Called on each PUBACK with the publish-to-PUBACK latency (metrics). */
  onDelivered(fn: (seq: number, latencyMs: number) => void): void;
  /** Publishes a message outside the chain (grants from the simulation, status). */
  publishRaw(topic: string, payload: Uint8Array | string, opts?: RawPublishOptions): Promise<void>;
  /** Hands over rows just committed, in seq order. */
  offer(rows: OutboxRow[]): void;
  /** Tells the publisher the outbox may have rows to send. */
  kick(): void;
  readonly stats: PublisherStats;
  readonly errors: ErrorCounts;
  readonly isConnected: boolean;
  readonly inflightCount: number;
}

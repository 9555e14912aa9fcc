/** Messages between ThreadedPublisher (main thread) and publisher-worker.ts. */
import type { LogLevel } from '../../drivers/core/log.ts';
import type { OutboxRow } from '../store/store.ts';
import type { PublisherOptions } from './mqtt-publisher.ts';
import type { PublisherStats, RawPublishOptions } from './publisher.ts';

export interface WorkerInit {
  dbPath: string;
  options: Omit<PublisherOptions, 'logger' | 'birth' | 'backoff'>;
  birth: Record<string, unknown>;
}

export type ToWorker =
  | { t: 'start' }
  | { t: 'offer'; rows: OutboxRow[]; birth: Record<string, unknown> }
  | { t: 'kick' }
  | { t: 'subscribe'; filter: string }
  | { t: 'raw'; id: number; topic: string; payload: Uint8Array | string; opts?: RawPublishOptions }
  | { t: 'stop' };

export type FromWorker =
  | { t: 'log'; level: LogLevel; ns: string; msg: string; fields?: Record<string, unknown> }
  | { t: 'stats'; stats: PublisherStats; inflight: number; errors: Record<string, number> }
  | { t: 'connected' }
  | { t: 'delivered'; items: [number, number][] }
  | { t: 'message'; filter: string; topic: string; payload: Uint8Array }
  | { t: 'rawDone'; id: number; error?: { message: string; code?: string } }
  | { t: 'stopped' };

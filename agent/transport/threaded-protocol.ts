/** Messages between ThreadedPublisher (main thread) and publisher-worker.ts. */
import type { LogLevel } from '../../core/log.ts';
import type { OutboxRow } from '../store/store.ts';
import type { PublisherOptions } from './mqtt-publisher.ts';
import type { PublisherStats, RawPublishOptions } from '../../core/ports/publisher.ts';

export interface WorkerInit {
  dbPath: string;
  options: Omit<PublisherOptions, 'logger' | 'birth' | 'backoff'>;
  birth: Record<string, unknown>;
}

export type ToWorker =
  | { t: 'start' }
  | { t: 'offer'; rows: PackedRows; birth: Record<string, unknown> }
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

/**
 * Committed rows as one transferable buffer plus small arrays: cloning hundreds of objects that
 * each hold a ~1 KB Uint8Array costs the signing thread more than one copy into a buffer that
 * is then moved, not copied.
 */
export interface PackedRows {
  bytes: ArrayBuffer;
  /** End offset of each row's bytes in `bytes`. */
  ends: number[];
  seq: number[];
  topic: string[];
  retain: boolean[];
  kind: string[];
}

export function packRows(rows: OutboxRow[]): PackedRows {
  let size = 0;
  for (const r of rows) size += r.bytes.length;
  const buf = new Uint8Array(size);
  const p: PackedRows = { bytes: buf.buffer, ends: [], seq: [], topic: [], retain: [], kind: [] };
  let o = 0;
  for (const r of rows) {
    buf.set(r.bytes, o);
    o += r.bytes.length;
    p.ends.push(o);
    p.seq.push(r.seq);
    p.topic.push(r.topic);
    p.retain.push(r.retain);
    p.kind.push(r.kind);
  }
  return p;
}

export function unpackRows(p: PackedRows): OutboxRow[] {
  const rows: OutboxRow[] = [];
  let start = 0;
  for (let i = 0; i < p.seq.length; i++) {
    const end = p.ends[i]!;
    rows.push({ seq: p.seq[i]!, topic: p.topic[i]!, retain: p.retain[i]!, kind: p.kind[i]!, bytes: new Uint8Array(p.bytes, start, end - start) });
    start = end;
  }
  return rows;
}

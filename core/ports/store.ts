/**
 * The store as its users see it. ObservationStore (agent/store, SQLite) is the implementation;
 * test/contract/store.contract.ts is what any implementation must do.
 */

/** The chain's last committed link. */
export interface LineageHead {
  seq: number;
  hash: Uint8Array;
  epoch: bigint;
}

/** A committed observation waiting for its PUBACK, as the publisher sends it. */
export interface OutboxRow {
  seq: number;
  topic: string;
  retain: boolean;
  bytes: Uint8Array;
  kind: string;
}

/** What a publisher needs: undelivered rows in seq order, and a place to record PUBACKs. */
export interface OutboxReader {
  /** Undelivered rows with seq > afterSeq, oldest first, at most `limit`. */
  pending(afterSeq: number, limit: number): OutboxRow[];
  /** Marks rows delivered at `at` (ms); rows already marked or dropped keep their mark. */
  markDeliveredMany(seqs: number[], at: number): void;
}

/** What the signing log needs: the head to continue from, and one transaction per batch. */
export interface ChainStore<Batch> {
  head(): LineageHead;
  setEpoch(epoch: bigint): void;
  /** Writes the whole batch (observations, outbox rows, new head) or nothing. */
  commit(batch: Batch[]): void;
}

/** What operations read: outbox depth and whether the disk still takes writes. */
export interface StoreHealth {
  outboxStats(): { depth: number; oldestT: number | undefined };
  /** Throws a coded error when the database can no longer be written. */
  probeWritable(): void;
}

/**
 * A small file beside the key recording the chain's last known head (seq, hash, epoch), written
 * after the start, each checkpoint and the stop have committed. At the next start it tells a
 * store that was lost or replaced from one that is simply new: a store behind the marker
 * would restart the chain at seq 1, or continue an old copy, with the same key, and verifiers
 * would see a fork. Such a start is refused; with `newChain` an empty store starts a declared
 * new chain whose first observation names the lost head and epoch.
 *
 * Without the marker the epoch counter (file or TPM NV, raised at every start and checkpoint and
 * recorded in the store's head as it rises; at a start, just before it rises: start-epoch.ts) is
 * the witness: a store whose head epoch is at or above the counter's value is the latest (above
 * it after a start that failed between the two), and the marker is written again from it; a
 * store behind the counter may be an older copy and is refused; an empty store while the counter
 * has risen means a chain existed and was lost, as with a marker.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { RuntimeError } from './errors.ts';
import type { LineageHead } from '../lineage/observation.ts';
import type { Logger } from '../../core/log.ts';

/** What the first observation of a declared new chain says it replaces (body `new_chain`). */
export type LostChain = {
  /** Absent when the marker was lost with the store: only the epoch counter remembers the chain. */
  lost_head_seq?: number;
  lost_head_hash?: Uint8Array;
  lost_epoch: bigint;
};

/** The epoch counter's value before this start raises it, and what kind of counter it is. */
export interface CounterWitness {
  value: bigint;
  kind: 'file' | 'tpm-nv';
}

export class ChainMarker {
  constructor(readonly path: string) {}

  read(): LineageHead | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      const o = JSON.parse(readFileSync(this.path, 'utf8')) as { seq: number; hash: string; epoch: string };
      if (!Number.isSafeInteger(o.seq) || !/^[0-9a-f]{64}$/.test(o.hash) || !/^\d+$/.test(o.epoch)) throw new Error('bad fields');
      return { seq: o.seq, hash: new Uint8Array(Buffer.from(o.hash, 'hex')), epoch: BigInt(o.epoch) };
    } catch (e) {
      throw new RuntimeError('CHAIN_MARKER_CORRUPT', `${this.path} does not hold a chain head (${(e as Error).message}); it is written by the agent, do not edit it`, { path: this.path });
    }
  }

  /**
   * Compares the store's head with the last one recorded (or, without a record, with the epoch
   * counter); throws when starting would fork the chain. `warn` hears a marker that is rebuilt.
   */
  check(store: LineageHead, storePath: string, newChain: boolean, counter: CounterWitness, warn: (msg: string, fields: Record<string, unknown>) => void): LostChain | undefined {
    const m = this.read();
    if (!m || m.seq === 0) return this.checkWithoutMarker(store, storePath, newChain, counter, warn);
    const at = `seq ${m.seq}, epoch ${m.epoch}`;
    if (store.seq === 0) {
      if (newChain) return { lost_head_seq: m.seq, lost_head_hash: m.hash, lost_epoch: m.epoch };
      throw new RuntimeError(
        'STORE_CHAIN_MISSING',
        `the store ${storePath} holds no chain, but this device's chain had reached ${at} (${this.path}): starting would begin a second chain at seq 1 with the same key. Restore the database, or start with --new-chain to declare a new chain that names the lost head`,
        { path: storePath, seq: m.seq, epoch: String(m.epoch) },
      );
    }
    if (m.seq > store.seq || m.epoch > store.epoch) {
      throw new RuntimeError(
        'STORE_REPLACED',
        `the store ${storePath} ends at seq ${store.seq}, epoch ${store.epoch}, behind this device's chain at ${at} (${this.path}): an older copy? Continuing it would fork the chain. Export it (place-agent export), move it aside, and start with --new-chain`,
        { path: storePath, seq: m.seq, epoch: String(m.epoch) },
      );
    }
    return undefined;
  }

  private checkWithoutMarker(store: LineageHead, storePath: string, newChain: boolean, counter: CounterWitness, warn: (msg: string, fields: Record<string, unknown>) => void): LostChain | undefined {
    const witness = `the ${counter.kind === 'tpm-nv' ? 'TPM NV' : 'file'} epoch counter stands at ${counter.value}`;
    if (store.seq === 0) {
      // A store that saw the counter's last rise is the one it rose for (a start that failed before its first commit).
      if (counter.value === 0n || store.epoch >= counter.value) return undefined;
      if (newChain) return { lost_epoch: counter.value };
      throw new RuntimeError(
        'STORE_CHAIN_MISSING',
        `the store ${storePath} holds no chain and the chain head record ${this.path} is missing, but ${witness}: this device signed a chain before, and starting would begin a second one at seq 1 with the same key. Restore the database and ${this.path}, or start with --new-chain to declare a new chain that names the lost epoch`,
        { path: storePath, epoch: String(counter.value) },
      );
    }
    if (store.epoch < counter.value) {
      throw new RuntimeError(
        'CHAIN_MARKER_MISSING',
        `the chain head record ${this.path} is missing and the store ${storePath} ends at seq ${store.seq}, epoch ${store.epoch}, while ${witness}: epochs were used after this store's head, so it may be an older copy, and continuing it could fork the chain. Restore ${this.path} from the same backup as the store, or export the store (place-agent export), move it aside, and start with --new-chain`,
        { path: this.path, seq: store.seq, epoch: String(store.epoch), counter: String(counter.value) },
      );
    }
    // The store holds the newest epoch the counter ever gave: it is the chain; the start records the marker again.
    warn('the chain head record was missing; the store is at the epoch counter, so the chain continues and the record is written again', { code: 'CHAIN_MARKER_RECREATED', path: this.path, seq: store.seq, epoch: String(store.epoch) });
    return undefined;
  }

  /**
   * Records a committed head: temp file, fsync, rename, so a crash leaves the old or the new one.
   * A failure is logged, not thrown: signing goes on, and the next record catches up.
   */
  record(head: LineageHead, logger: Logger): void {
    try {
      this.write(head);
    } catch (e) {
      logger.warn('could not record the chain head', { path: this.path, error: e as Error });
    }
  }

  private write(head: LineageHead): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ seq: head.seq, hash: Buffer.from(head.hash).toString('hex'), epoch: String(head.epoch) }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

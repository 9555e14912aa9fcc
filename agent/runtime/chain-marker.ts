/**
 * A small file beside the key recording the chain's last known head (seq, hash, epoch), written
 * after the start, each checkpoint and the stop have committed. At the next start it tells a
 * store that was lost or replaced from one that is simply new: a store behind the marker
 * would restart the chain at seq 1, or continue an old copy, with the same key, and verifiers
 * would see a fork. Such a start is refused; with `newChain` an empty store starts a declared
 * new chain whose first observation names the lost head and epoch.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { RuntimeError } from './errors.ts';
import type { LineageHead } from '../lineage/observation.ts';
import type { Logger } from '../../core/log.ts';

/** What the first observation of a declared new chain says it replaces (body `new_chain`). */
export type LostChain = {
  lost_head_seq: number;
  lost_head_hash: Uint8Array;
  lost_epoch: bigint;
};

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

  /** Compares the store's head with the last one recorded; throws when starting would fork the chain. */
  check(store: LineageHead, storePath: string, newChain: boolean): LostChain | undefined {
    const m = this.read();
    if (!m || m.seq === 0) return undefined;
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

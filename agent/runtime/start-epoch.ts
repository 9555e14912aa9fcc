/**
 * The epoch a start takes (DESIGN.md, "Lineage": the counter rises at every start), raised so
 * that the store always covers the counter. Without the chain head record the counter is the
 * witness (chain-marker.ts): a store whose head epoch is at or above the counter's value is the
 * latest; one below it, or an empty one while the counter has risen, is refused. Raising the
 * counter first and recording it in the store second left a window: when the store's write
 * failed (disk full, I/O error), the counter had risen past an empty new database, the refused
 * start removed that database, and the next start was refused as STORE_CHAIN_MISSING though no
 * chain was ever signed. So the epoch the start is about to take is recorded first: a failure
 * before the rise leaves a store merely ahead of the counter, which the rule accepts.
 */
import type { EpochCounter } from '../lineage/epoch.ts';
import type { LineageHead } from '../lineage/observation.ts';

/** What of the store the epoch needs: its head, and the head's epoch rewritten. */
export interface EpochRecord {
  head(): LineageHead;
  setEpoch(epoch: bigint): void;
}

/** Raises `counter` from `before` (its value as read for the start's checks) and returns the new epoch, recorded in `store`. */
export async function raiseStartEpoch(counter: EpochCounter, store: EpochRecord, before: bigint): Promise<bigint> {
  const recorded = store.head().epoch;
  const expected = before + 1n;
  // A failure here throws before the counter rises: nothing to witness.
  if (expected > recorded) store.setEpoch(expected);
  let raised: bigint;
  try {
    raised = await counter.increment();
  } catch (e) {
    await undoIfNotRaised(counter, store, before, recorded);
    throw e;
  }
  // A TPM NV counter's first increment starts from the highest count any counter on that TPM has
  // held (TPM 2.0 Part 1, NV counters), not from the 0 read before it: the store records what it
  // gave. Should this write fail, the store is behind the counter and the next start is refused,
  // which forks nothing. A record above the counter (it went back meanwhile) is left as it is.
  if (raised > expected) store.setEpoch(raised);
  return raised;
}

/**
 * The increment failed: when the counter still reads `before` it did not rise, so the store's
 * head goes back to what it was and a refused start on a new database can remove it (boot.ts).
 * When the counter cannot be read, or has moved, the record stays: it may witness a rise.
 */
async function undoIfNotRaised(counter: EpochCounter, store: EpochRecord, before: bigint, recorded: bigint): Promise<void> {
  try {
    if ((await counter.read()) === before) store.setEpoch(recorded);
  } catch {
    // Unknown whether it rose: the store, ahead of the counter, stays a valid witness.
  }
}

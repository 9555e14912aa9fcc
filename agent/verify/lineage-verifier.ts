/**
 * Lineage checks over a stream of verified observations (DESIGN.md, "Lineage"): per issuer,
 * seq starts at 1 and rises by one, prev is h() of the previous observation (SHA-256 of its payload), epoch never
 * goes back. Hashes are h(), over payloads (DESIGN.md, wire contract v1). An identical payload
 * again (at-least-once delivery, or a relay that re-encoded a header) is a duplicate, not a
 * failure; the same seq with another payload is a fork; a seq that jumps is a gap; one that goes back is a
 * reorder. To tell a duplicate from a fork it remembers the hash of the last `window` seqs per
 * issuer (default 131,072: resends after a reconnect come from the publisher's in-flight window,
 * a few hundred), so memory stays bounded on chains of any length; an observation older than
 * that is reported as a reorder that cannot be told apart.
 */
import { GENESIS_PREV } from '../lineage/observation.ts';
import type { ObservationClaims } from './observation-verifier.ts';

export interface LineageFailure {
  iss: string;
  seq: number;
  code: 'LINEAGE_GAP' | 'LINEAGE_FORK' | 'LINEAGE_REORDER' | 'LINEAGE_BROKEN_LINK' | 'LINEAGE_EPOCH_ROLLBACK' | 'LINEAGE_BAD_GENESIS';
  reason: string;
}

interface IssuerState {
  lastSeq: number;
  lastHash: Uint8Array;
  lastEpoch: bigint;
  seen: Map<number, string>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const DEFAULT_SEEN_WINDOW = 131_072;

export class LineageVerifier {
  private readonly issuers = new Map<string, IssuerState>();
  private readonly window: number;

  constructor(opts: { window?: number } = {}) {
    this.window = opts.window ?? DEFAULT_SEEN_WINDOW;
  }

  /** How many seq hashes are remembered, over all issuers. */
  get tracked(): number {
    let n = 0;
    for (const st of this.issuers.values()) n += st.seen.size;
    return n;
  }

  private remember(st: IssuerState, seq: number, h: string): void {
    st.seen.set(seq, h);
    // Forget what fell out of the window, a quarter of a window at a time.
    if (st.seen.size > this.window + (this.window >> 2)) {
      const floor = st.lastSeq - this.window;
      for (const s of st.seen.keys()) if (s <= floor) st.seen.delete(s);
    }
  }
  /** Seqs a signed `gap` observation says were deliberately not published, per issuer. */
  private readonly declared = new Map<string, Set<number>>();

  declareGap(iss: string, seqs: Iterable<number>): void {
    const set = this.declared.get(iss) ?? new Set<number>();
    for (const s of seqs) set.add(s);
    this.declared.set(iss, set);
  }
  duplicates = 0;
  accepted = 0;

  /** Feeds one verified observation; returns the failures it reveals (empty when it links). */
  add(c: ObservationClaims, hash: Uint8Array, opts: { allowStartAfterGenesis?: boolean } = {}): LineageFailure[] {
    const h = hex(hash);
    let st = this.issuers.get(c.iss);
    if (!st) {
      st = { lastSeq: 0, lastHash: GENESIS_PREV, lastEpoch: 0n, seen: new Map() };
      this.issuers.set(c.iss, st);
      if (c.seq !== 1 && opts.allowStartAfterGenesis) {
        st.lastSeq = c.seq - 1;
        st.lastHash = c.prev;
      }
    }
    const seenHash = st.seen.get(c.seq);
    if (seenHash !== undefined) {
      if (seenHash === h) {
        this.duplicates++;
        return [];
      }
      return [{ iss: c.iss, seq: c.seq, code: 'LINEAGE_FORK', reason: `two different observations claim seq ${c.seq}` }];
    }
    const out: LineageFailure[] = [];
    if (c.seq <= st.lastSeq) {
      const beyond = c.seq <= st.lastSeq - this.window;
      out.push({
        iss: c.iss,
        seq: c.seq,
        code: 'LINEAGE_REORDER',
        reason: beyond
          ? `seq ${c.seq} arrived after seq ${st.lastSeq}, more than ${this.window} seqs back (too old to tell a duplicate from a fork)`
          : `seq ${c.seq} arrived after seq ${st.lastSeq}`,
      });
      if (!beyond) this.remember(st, c.seq, h);
      return out;
    }
    if (c.seq === 1 && hex(c.prev) !== hex(GENESIS_PREV)) out.push({ iss: c.iss, seq: 1, code: 'LINEAGE_BAD_GENESIS', reason: 'seq 1 does not start from 32 zero bytes' });
    const declared = this.declared.get(c.iss);
    let explained = c.seq > st.lastSeq + 1 && declared !== undefined;
    for (let s = st.lastSeq + 1; explained && s < c.seq; s++) explained = declared!.has(s);
    if (explained) {
      // Missing by declaration: the prev link points at an unpublished observation and cannot be checked here.
    } else if (c.seq > st.lastSeq + 1) {
      out.push({ iss: c.iss, seq: c.seq, code: 'LINEAGE_GAP', reason: `seqs ${st.lastSeq + 1}..${c.seq - 1} are missing` });
    } else if (hex(c.prev) !== hex(st.lastHash)) {
      out.push({ iss: c.iss, seq: c.seq, code: 'LINEAGE_BROKEN_LINK', reason: `prev does not match the hash of seq ${st.lastSeq}` });
    }
    if (c.epoch < st.lastEpoch) out.push({ iss: c.iss, seq: c.seq, code: 'LINEAGE_EPOCH_ROLLBACK', reason: `epoch ${c.epoch} is below the earlier ${st.lastEpoch}` });
    st.lastSeq = c.seq;
    st.lastHash = hash;
    st.lastEpoch = c.epoch;
    this.remember(st, c.seq, h);
    this.accepted++;
    return out;
  }

  heads(): { iss: string; seq: number; epoch: bigint }[] {
    return [...this.issuers].map(([iss, s]) => ({ iss, seq: s.lastSeq, epoch: s.lastEpoch }));
  }
}

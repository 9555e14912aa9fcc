/**
 * Received reservation grants in the agent's database (DESIGN.md, "Reservation grant"): keyed
 * by cti, with h(grant) and the nonce (unique: a nonce seen in one grant is refused in
 * another), how far each has been settled, and the highest seq of an observation that names it.
 * A grant stays as long as any stored observation names it, leaves with the retention archive
 * of the last one, and is exported with the chain, so a grant/attestation pair can always be
 * rebuilt from what the agent keeps or archived.
 */
import type Database from 'better-sqlite3';

export interface StoredGrant {
  cti: Uint8Array;
  hash: Uint8Array;
  nonce: Uint8Array;
  place: string;
  reservation: string;
  windowStart: number;
  /** End of the window plus grace, ms. */
  windowEnd: number;
  bytes: Uint8Array;
  receivedAt: number;
}

type Stmt = (sql: string) => Database.Statement;
type Guard = <T>(fn: () => T) => T;

export class GrantStore {
  constructor(
    private readonly stmt: Stmt,
    private readonly guard: Guard,
  ) {}

  /** False when a grant with this cti is already stored. Throws (unique constraint) on a reused nonce: check nonceOwner first. */
  save(g: StoredGrant): boolean {
    const r = this.guard(() =>
      this.stmt('INSERT OR IGNORE INTO grants (cti, hash, nonce, place, reservation, window_start, window_end, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        g.cti,
        g.hash,
        g.nonce,
        g.place,
        g.reservation,
        g.windowStart,
        g.windowEnd,
        g.bytes,
        g.receivedAt,
      ),
    );
    return r.changes === 1;
  }

  /** The cti of the stored grant that carries `nonce`, if any. */
  nonceOwner(nonce: Uint8Array): Uint8Array | undefined {
    const r = this.stmt('SELECT cti FROM grants WHERE nonce = ?').get(nonce) as { cti: Buffer } | undefined;
    return r ? new Uint8Array(r.cti) : undefined;
  }

  has(cti: Uint8Array): boolean {
    return this.stmt('SELECT 1 FROM grants WHERE cti = ?').get(cti) !== undefined;
  }

  /** Grants whose window (plus grace) has not ended, with their settlement so far and the unit's acceptance. */
  active(now: number): { bytes: Uint8Array; reservation: string; settlement?: string; acceptance?: Uint8Array }[] {
    const rows = this.stmt('SELECT bytes, reservation, settlement, acceptance FROM grants WHERE window_end >= ? ORDER BY window_start').all(now) as {
      bytes: Buffer;
      reservation: string;
      settlement: string | null;
      acceptance: Buffer | null;
    }[];
    return rows.map((r) => ({
      bytes: new Uint8Array(r.bytes),
      reservation: r.reservation,
      ...(r.settlement ? { settlement: r.settlement } : {}),
      ...(r.acceptance ? { acceptance: new Uint8Array(r.acceptance) } : {}),
    }));
  }

  /** Keeps the verified acceptance of the grant `cti` (the latest replaces an earlier one). */
  saveAcceptance(cti: Uint8Array, bytes: Uint8Array): void {
    this.guard(() => this.stmt('UPDATE grants SET acceptance = ? WHERE cti = ?').run(bytes, cti));
  }

  saveSettlement(cti: Uint8Array, settlement: string): void {
    this.guard(() => this.stmt('UPDATE grants SET settlement = ? WHERE cti = ?').run(settlement, cti));
  }

  /** Records that observation `seq` names the grant `hash` (its answer, an attestation). */
  named(hash: Uint8Array, seq: number): void {
    this.guard(() => this.stmt('UPDATE grants SET named_until_seq = max(coalesce(named_until_seq, 0), ?) WHERE hash = ?').run(seq, hash));
  }

  /** Every stored grant's bytes, oldest first (for export with the chain). */
  *all(): Generator<Uint8Array> {
    const rows = this.stmt('SELECT bytes FROM grants ORDER BY received_at, cti').all() as { bytes: Buffer }[];
    for (const r of rows) yield new Uint8Array(r.bytes);
  }

  /**
   * Grants no longer needed: their window ended before `cutoffMs` and no observation at or
   * after `firstKeptSeq` names them. Returned with their bytes so retention archives them.
   */
  releasable(cutoffMs: number, firstKeptSeq: number): { cti: Uint8Array; bytes: Uint8Array }[] {
    const rows = this.stmt('SELECT cti, bytes FROM grants WHERE window_end < ? AND coalesce(named_until_seq, 0) < ?').all(cutoffMs, firstKeptSeq) as { cti: Buffer; bytes: Buffer }[];
    return rows.map((r) => ({ cti: new Uint8Array(r.cti), bytes: new Uint8Array(r.bytes) }));
  }

  remove(cti: Uint8Array): void {
    this.guard(() => this.stmt('DELETE FROM grants WHERE cti = ?').run(cti));
  }
}

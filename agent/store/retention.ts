/**
 * Retention (DESIGN.md, "Failure semantics"): observations delivered and older than a cutoff are
 * first appended to an audit file (a CBOR sequence, fsynced) and then deleted from the database,
 * with the grants no kept observation names any more. The head and anything undelivered are
 * never touched. ObservationStore.archiveAndPrune() runs it on the store's connection.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { GrantStore } from './grant-store.ts';
import { withPrefix } from './cose-prefix.ts';

/** What retention needs of the store: its statements, error mapping, a transaction, the head and the grants. */
export interface RetentionAccess {
  stmt: (sql: string) => Database.Statement;
  guard: <T>(fn: () => T) => T;
  transaction: (fn: () => void) => void;
  headSeq: number;
  grants: GrantStore;
}

/** Archives then deletes up to `limit` delivered observations signed before `cutoffMs`; says how many and where. */
export function archiveAndPrune(s: RetentionAccess, cutoffMs: number, auditDir: string, limit: number): { archived: number; file?: string } {
  const head = s.headSeq;
  const rows = s
    .stmt(
      'SELECT b.seq AS seq, p.bytes AS prefix, b.bytes AS bytes FROM observations b JOIN outbox o ON o.seq = b.seq LEFT JOIN cose_prefixes p ON p.id = b.prefix_id WHERE o.delivered_at IS NOT NULL AND b.t < ? AND b.seq < ? ORDER BY b.seq LIMIT ?',
    )
    .all(cutoffMs, head, limit) as { seq: number; prefix: Buffer | null; bytes: Buffer }[];
  // Grants go with the archive that holds the last observation naming them (grant-store.ts).
  const firstKept = rows.length ? rows[rows.length - 1]!.seq + 1 : ((s.stmt('SELECT min(seq) FROM observations').pluck().get() as number | null) ?? head + 1);
  const grants = s.grants.releasable(cutoffMs, firstKept);
  if (rows.length === 0 && grants.length === 0) return { archived: 0 };
  mkdirSync(auditDir, { recursive: true });
  const file = rows.length
    ? join(auditDir, `chain-${String(rows[0]!.seq).padStart(12, '0')}-${String(rows[rows.length - 1]!.seq).padStart(12, '0')}.cbor`)
    : join(auditDir, `grants-before-${String(firstKept).padStart(12, '0')}-${cutoffMs}.cbor`);
  const fd = openSync(file, 'w', 0o640);
  try {
    for (const r of rows) writeSync(fd, withPrefix(r.prefix, r.bytes));
    for (const g of grants) writeSync(fd, g.bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  s.guard(() =>
    s.transaction(() => {
      const delOut = s.stmt('DELETE FROM outbox WHERE seq = ?');
      const delObs = s.stmt('DELETE FROM observations WHERE seq = ?');
      for (const r of rows) {
        delOut.run(r.seq);
        delObs.run(r.seq);
      }
      for (const g of grants) s.grants.remove(g.cti);
    }),
  );
  return { archived: rows.length, file };
}

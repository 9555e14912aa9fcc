/**
 * Reads observations straight from an agent's database file (read-only, so a test can look while
 * the agent runs), putting each row's shared COSE prefix (store migration 3) back in front of
 * the rest: the full bytes the agent signed.
 */
import { keptDatabase } from './kept-database.ts';

export interface StoredRow {
  seq: number;
  kind: string;
  epoch: number;
  bytes: Uint8Array;
  /** outbox.delivered_at: null while undelivered, -1 when dropped under storage pressure. */
  deliveredAt: number | null;
}

export function storedObservations(dbPath: string): StoredRow[] {
  const db = keptDatabase(dbPath, { readonly: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'observations'").get()) return [];
    const hasPrefixes = Boolean(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'cose_prefixes'").get());
    const sql = hasPrefixes
      ? 'SELECT b.seq AS seq, b.kind AS kind, b.epoch AS epoch, p.bytes AS prefix, b.bytes AS bytes, o.delivered_at AS at FROM observations b LEFT JOIN cose_prefixes p ON p.id = b.prefix_id LEFT JOIN outbox o ON o.seq = b.seq ORDER BY b.seq'
      : 'SELECT b.seq AS seq, b.kind AS kind, b.epoch AS epoch, NULL AS prefix, b.bytes AS bytes, o.delivered_at AS at FROM observations b LEFT JOIN outbox o ON o.seq = b.seq ORDER BY b.seq';
    const rows = db.prepare(sql).all() as { seq: number; kind: string; epoch: number; prefix: Buffer | null; bytes: Buffer; at: number | null }[];
    return rows.map((r) => ({ seq: r.seq, kind: r.kind, epoch: r.epoch, bytes: new Uint8Array(r.prefix ? Buffer.concat([r.prefix, r.bytes]) : r.bytes), deliveredAt: r.at }));
  } finally {
    db.close();
  }
}

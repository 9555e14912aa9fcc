/**
 * Schema migrations, applied in order inside one transaction each; PRAGMA user_version
 * records how far a database has come. A migration is never edited once released: add one.
 */
export const MIGRATIONS: string[] = [
  // 1: the chain, its head, the outbox, and inbound grants.
  `CREATE TABLE observations (
     seq INTEGER PRIMARY KEY,
     kind TEXT NOT NULL,
     place TEXT NOT NULL,
     t INTEGER NOT NULL,
     epoch INTEGER NOT NULL,
     hash BLOB NOT NULL,
     bytes BLOB NOT NULL
   );
   CREATE TABLE lineage_head (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     seq INTEGER NOT NULL,
     hash BLOB NOT NULL,
     epoch INTEGER NOT NULL
   );
   CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY REFERENCES observations(seq),
     topic TEXT NOT NULL,
     retain INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     delivered_at INTEGER
   );
   CREATE INDEX outbox_pending ON outbox(seq) WHERE delivered_at IS NULL;
   CREATE TABLE grants (
     cti BLOB PRIMARY KEY,
     place TEXT NOT NULL,
     reservation TEXT NOT NULL,
     window_start INTEGER NOT NULL,
     window_end INTEGER NOT NULL,
     bytes BLOB NOT NULL,
     received_at INTEGER NOT NULL
   );
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: how far each grant has been settled (survives restarts), and an index for expiry.
  `ALTER TABLE grants ADD COLUMN settlement TEXT;
   CREATE INDEX grants_window_end ON grants(window_end);`,
  // 3: the part of an observation's COSE bytes that every observation of one identity shares
  // (tag, protected header, the unprotected header with the ~1 KB credential chain) is stored
  // once; a row with a prefix_id keeps only the rest (payload and signature), about a third.
  // Rows without one (written before, or signed outside the chain) keep their full bytes.
  `CREATE TABLE cose_prefixes (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL UNIQUE);
   ALTER TABLE observations ADD COLUMN prefix_id INTEGER REFERENCES cose_prefixes(id);`,
  // 4: the revised wire contract (DESIGN.md, 2026-11-30): credentials inline in the COSE header
  // and every hash (prev, the lineage head, the hash column) over payloads. Rows written before
  // cannot continue this chain; ObservationStore refuses a database that has any (no
  // compatibility mode: nothing was released under the old form).
  `INSERT INTO meta (key, value) VALUES ('wire_contract', '2026-11-30');`,
  // 5: grants by cti with h(grant) and their nonce (a nonce in two grants is refused), and the
  // last seq of an observation naming each, so retention keeps a grant while any does.
  `ALTER TABLE grants ADD COLUMN hash BLOB;
   ALTER TABLE grants ADD COLUMN nonce BLOB;
   ALTER TABLE grants ADD COLUMN named_until_seq INTEGER;
   CREATE UNIQUE INDEX grants_nonce ON grants(nonce);
   CREATE INDEX grants_hash ON grants(hash);`,
  // 6: observations by kind and time, so a start rebuilds the presence budgets of the current
  // window from the attestations, refusals and suspensions signed in it.
  `CREATE INDEX observations_kind_t ON observations(kind, t);`,
  // 7: the unit's verified acceptance of a grant (its COSE bytes), kept with the grant so a
  // restart still counts it as evidence and still names it in attestations.
  `ALTER TABLE grants ADD COLUMN acceptance BLOB;`,
];

/** The user_version after which observations follow the revised wire contract. */
export const CONTRACT_REVISION_MIGRATION = 4;

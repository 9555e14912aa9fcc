/**
 * Reading the chain out of an agent's database for export, without ever creating or changing
 * it: the file must exist and is opened read-only. A damaged database can be salvaged: every
 * row that still reads is exported, and the seqs that do not are reported as damaged ranges.
 * `audit export` prepends the audit files retention wrote (`<stateDir>/audit/chain-A-B.cbor`).
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { codeOf } from '../../core/coded-error.ts';
import { OpsError } from './errors.ts';

export interface ExportOptions {
  dbPath: string;
  out: string;
  fromSeq?: number;
  /** Export what reads from a damaged database instead of refusing it. */
  salvage?: boolean;
  /** Prepend these audit files' observations (audit export). */
  auditDir?: string;
}

export interface ExportResult {
  written: number;
  /** Grants the store keeps, written first (so each grant/attestation pair can be rebuilt from the export alone). */
  grants: number;
  firstSeq?: number;
  lastSeq?: number;
  auditFiles: number;
  /** Seq ranges that could not be read (salvage only). */
  damaged: [from: number, to: number][];
}

const ROW_SQL =
  'SELECT b.seq AS seq, p.bytes AS prefix, b.bytes AS bytes FROM observations b LEFT JOIN cose_prefixes p ON p.id = b.prefix_id WHERE b.seq BETWEEN ? AND ? ORDER BY b.seq';
const ROW_SQL_V1 = 'SELECT seq, NULL AS prefix, bytes FROM observations WHERE seq BETWEEN ? AND ? ORDER BY seq';
const PAGE = 1000;

type Row = { seq: number; prefix: Buffer | null; bytes: Buffer };

/**
 * Connections and statements stay referenced until the process ends: better-sqlite3 12 aborts
 * Node 24 when one is garbage-collected at the wrong moment (see agent/store/store.ts).
 */
const retained: unknown[] = [];
function prepare(db: Database.Database, sql: string): Database.Statement {
  const st = db.prepare(sql);
  retained.push(st);
  return st;
}

const isCorrupt = (e: unknown): boolean => /^SQLITE_(CORRUPT|NOTADB|IOERR)/.test(codeOf(e, ''));

const corrupt = (path: string, e: unknown): OpsError =>
  new OpsError(
    'STORE_CORRUPT',
    `database ${path} is damaged (${(e as Error).message}); --salvage exports every row that still reads and lists the damaged seqs`,
    { path },
    { cause: e },
  );

/** Audit files in seq order, with the range each names. */
export function auditFiles(dir: string): { file: string; from: number; to: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^chain-(\d+)-(\d+)\.cbor$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: join(dir, m[0]), from: Number(m[1]), to: Number(m[2]) }))
    .sort((a, b) => a.from - b.from);
}

export function exportChain(o: ExportOptions): ExportResult {
  if (!existsSync(o.dbPath) || !statSync(o.dbPath).isFile()) {
    throw new OpsError('STORE_MISSING', `no database at ${o.dbPath}: nothing to export (check --state or --config; nothing was created)`, { path: o.dbPath });
  }
  let db: Database.Database;
  try {
    db = new Database(o.dbPath, { readonly: true, fileMustExist: true });
    retained.push(db);
  } catch (e) {
    throw isCorrupt(e) ? corrupt(o.dbPath, e) : new OpsError('STORE_UNREADABLE', `cannot open ${o.dbPath}: ${(e as Error).message}`, { path: o.dbPath }, { cause: e });
  }
  const partial = `${o.out}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (e) {
    db.close();
    throw new OpsError('OUTPUT_UNWRITABLE', `cannot write ${o.out}: ${(e as Error).message}`, { path: o.out });
  }
  const result: ExportResult = { written: 0, grants: 0, auditFiles: 0, damaged: [] };
  const emit = (seq: number, bytes: Uint8Array): void => {
    writeSync(fd, bytes);
    result.written++;
    result.firstSeq ??= seq;
    result.lastSeq = seq;
  };
  try {
    result.grants = writeGrants(db, fd, o);
    let from = o.fromSeq ?? 1;
    for (const a of o.auditDir ? auditFiles(o.auditDir) : []) {
      if (a.to < from) continue;
      writeSync(fd, readFileSync(a.file));
      result.written += a.to - a.from + 1;
      result.firstSeq ??= a.from;
      result.lastSeq = a.to;
      result.auditFiles++;
      from = a.to + 1;
    }
    readRows(db, o, from, emit, result.damaged);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(partial, o.out);
  } catch (e) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw e;
  } finally {
    db.close();
  }
  return result;
}

/** The grants the store keeps, first, so the file still ends with the chain's head. */
function writeGrants(db: Database.Database, fd: number, o: ExportOptions): number {
  let n = 0;
  try {
    for (const r of prepare(db, 'SELECT bytes FROM grants ORDER BY received_at, cti').all() as { bytes: Buffer }[]) {
      writeSync(fd, r.bytes);
      n++;
    }
  } catch (e) {
    if (!isCorrupt(e)) throw new OpsError('STORE_UNREADABLE', `${o.dbPath} is not an agent database: ${(e as Error).message}`, { path: o.dbPath }, { cause: e });
    if (!o.salvage) throw corrupt(o.dbPath, e);
  }
  return n;
}

function readRows(db: Database.Database, o: ExportOptions, from: number, emit: (seq: number, bytes: Uint8Array) => void, damaged: [number, number][]): void {
  const bytesOf = (r: Row): Uint8Array => (r.prefix ? new Uint8Array(Buffer.concat([r.prefix, r.bytes])) : new Uint8Array(r.bytes));
  let rows: Database.Statement;
  let last: number;
  try {
    const hasPrefix = (prepare(db, "SELECT COUNT(*) FROM pragma_table_info('observations') WHERE name = 'prefix_id'").pluck().get() as number) > 0;
    rows = prepare(db, hasPrefix ? ROW_SQL : ROW_SQL_V1);
    last = maxSeq(db);
  } catch (e) {
    if (!isCorrupt(e)) throw new OpsError('STORE_UNREADABLE', `${o.dbPath} is not an agent database: ${(e as Error).message}`, { path: o.dbPath }, { cause: e });
    throw corrupt(o.dbPath, e);
  }
  const markDamaged = (seq: number): void => {
    const tail = damaged[damaged.length - 1];
    if (tail && tail[1] === seq - 1) tail[1] = seq;
    else damaged.push([seq, seq]);
  };
  for (let a = from; a <= last; a += PAGE) {
    const b = Math.min(last, a + PAGE - 1);
    try {
      for (const r of rows.all(a, b) as Row[]) emit(r.seq, bytesOf(r));
    } catch (e) {
      if (!isCorrupt(e)) throw e;
      if (!o.salvage) throw corrupt(o.dbPath, e);
      // Row by row through this page's range: seq is the rowid, so each lookup walks the
      // b-tree's interior pages and reads only the leaf that holds that row.
      for (let s = a; s <= b; s++) {
        try {
          const r = rows.get(s, s) as Row | undefined;
          if (r) emit(r.seq, bytesOf(r));
        } catch (e2) {
          if (!isCorrupt(e2)) throw e2;
          markDamaged(s);
        }
      }
    }
  }
}

/** The highest seq: from the table, or from the lineage head when the table's last page is damaged. */
function maxSeq(db: Database.Database): number {
  try {
    return (prepare(db, 'SELECT MAX(seq) FROM observations').pluck().get() as number | null) ?? 0;
  } catch (e) {
    if (!isCorrupt(e)) throw e;
    const head = prepare(db, 'SELECT seq FROM lineage_head WHERE id = 1').pluck().get() as number | undefined;
    if (head === undefined) throw e;
    return head;
  }
}

/** The store's error class, and SQLite failures mapped to its stable codes. */
import { CodedError, codeOf } from '../../core/coded-error.ts';
import type { StoreErrorCode } from './errors.ts';

export class StoreError extends CodedError<StoreErrorCode> {}

/** Throws the StoreError a better-sqlite3 failure means for a user. */
export function sqliteError(e: unknown, path: string): never {
  // better-sqlite3 reports extended result codes (SQLITE_BUSY_SNAPSHOT, SQLITE_CORRUPT_INDEX,
  // SQLITE_READONLY_DBMOVED, ...; https://sqlite.org/rescode.html#extrc); classify by the
  // primary code, which is the first two words.
  const code = codeOf(e, '').split('_').slice(0, 2).join('_');
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new StoreError('STORE_LOCKED', `database ${path} is locked by another process`, { path }, { cause: e });
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') throw new StoreError('STORE_CORRUPT', `database ${path} is corrupt or not a database`, { path }, { cause: e });
  if (code === 'SQLITE_FULL') throw new StoreError('STORE_FULL', `disk full writing ${path}`, { path }, { cause: e });
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') throw new StoreError('STORE_UNWRITABLE', `cannot write database ${path}`, { path }, { cause: e });
  throw new StoreError('STORE_IO', `database error on ${path}: ${(e as Error).message}`, { path, sqlite: codeOf(e, '') }, { cause: e });
}

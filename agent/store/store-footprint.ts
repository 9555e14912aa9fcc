/**
 * What a refused start must leave behind: nothing. Opening a store creates the database (and
 * its WAL and shared-memory files, and its directory: mkdir -p, so perhaps several levels)
 * before the start can decide to refuse (a store behind the chain marker, a counter that will
 * not rise); an operator who then finds
 * an empty agent.db beside the key reads it as a store that lost its chain, and copying a
 * backup over it is one more step that can go wrong. `undo` removes exactly what this start
 * created, and only when the database did not exist before it.
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** SQLite's files for one database in WAL mode (and the rollback journal of a failed open). */
const SQLITE_FILES = ['', '-wal', '-shm', '-journal'];

export interface StoreFootprint {
  /** Did the database exist before this start? */
  readonly existed: boolean;
  /** Removes the files and directory this start created; a store that existed is never touched. */
  undo(): void;
}

/** The directories above `path` that do not exist yet, innermost first: what mkdir -p would create. */
function missingDirs(path: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(path); !existsSync(dir); dir = dirname(dir)) {
    out.push(dir);
    if (dirname(dir) === dir) break;
  }
  return out;
}

export function storeFootprint(path: string): StoreFootprint {
  if (path === ':memory:') return { existed: true, undo: () => {} };
  // The store creates its directory with mkdir -p, so a path like state/db/agent.db may bring
  // several levels into being; each is ours to remove, innermost first.
  const created = missingDirs(path);
  const existed = existsSync(path);
  return {
    existed,
    undo() {
      if (existed) return;
      for (const suffix of SQLITE_FILES) rmSync(path + suffix, { force: true });
      for (const dir of created) {
        try {
          rmdirSync(dir);
        } catch (e) {
          // Already gone: the level above may still be ours.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          // Not empty: something else was put there meanwhile; neither it nor what holds it is ours to remove.
          return;
        }
      }
    },
  };
}

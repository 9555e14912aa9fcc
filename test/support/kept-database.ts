/**
 * better-sqlite3 for test helpers, with every Database and Statement kept referenced for the
 * life of the test process. better-sqlite3 12 aborts Node 24 when one of its objects is
 * garbage-collected at the wrong moment (RemoveEnvironmentCleanupHook assertion in its
 * destructor); the agent's store keeps its objects for the same reason (agent/store/store.ts).
 */
import Database from 'better-sqlite3';

const kept: unknown[] = [];

export function keptDatabase(path: string, opts?: Database.Options): Database.Database {
  const db = new Database(path, opts);
  kept.push(db);
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const st = prepare(sql);
    kept.push(st);
    return st;
  }) as typeof db.prepare;
  return db;
}

/** One agent per database: the lock file beside it. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { StoreError } from './store-errors.ts';

/** A lock file holding the owner's PID; a lock whose process is gone (SIGKILL, power loss) is taken over. */
export function takeLock(lockPath: string, dbPath: string): string {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return lockPath;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError('STORE_UNWRITABLE', `cannot create ${lockPath}: ${(e as Error).message}`, { path: dbPath }, { cause: e });
      const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new StoreError('STORE_IN_USE', `database ${dbPath} is in use by another place-agent (pid ${pid})`, { path: dbPath, pid });
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new StoreError('STORE_IN_USE', `could not take the lock ${lockPath}`, { path: dbPath });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

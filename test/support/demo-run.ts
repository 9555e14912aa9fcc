/**
 * Runs the embedded demo (`run --embedded`) on a state directory, the way an operator starts and
 * stops it, for tests of what a start does to an existing chain.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, waitFor } from '../integration/agent-process.ts';
import { freePort } from '../../hil/ports.ts';
import { keptDatabase } from './kept-database.ts';

/** Observations committed in the store at `db` (0 when there is none yet). */
export function committedCount(db: string): number {
  if (!existsSync(db)) return 0;
  const d = keptDatabase(db, { readonly: true });
  try {
    return (d.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    d.close();
  }
}

/** Runs the demo on `state` until it has committed at least `min` observations (or exits), then stops it. */
export async function demo(state: string, min: number, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const a = spawnAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet', '--envelope-interval-ms', '5', ...extra]);
  const db = join(state, 'agent.db');
  await waitFor(() => a.proc.exitCode !== null || committedCount(db) >= min, 120_000, `${min} observations`);
  if (a.proc.exitCode === null) a.proc.kill('SIGTERM');
  const code = await a.exited;
  return { code, stdout: a.stdout(), stderr: a.stderr() };
}

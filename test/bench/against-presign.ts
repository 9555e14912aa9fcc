/**
 * Issue 12's throughput criterion measured head to head: the observation pipeline of this tree
 * against the last commit that signed with hand-made presigned ECDSA (PRESIGN_COMMIT; deleted
 * by a7d1925), on the same machine and broker conditions, each through its own tree's
 * `runPipeline` (20k drafts, 4096 in flight, publisher in its worker thread, mosquitto), the
 * two trees' processes alternating so both see the same load. The old pipeline starts each run
 * with 2,048 presigned records ready (its own harness); the new one with its signing thread
 * started. Medians of every run but each process's first (a warm-up) are compared.
 *
 *   node --import tsx test/bench/against-presign.ts [pairs=5]
 *
 * Needs the repository's history (not a shallow clone): the old tree is checked out into a
 * temporary git worktree, run from there with this tree's node_modules, and removed again.
 * Nothing of it is imported into this process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PRESIGN_COMMIT = '8aff220';
const RUNS_PER_PROCESS = 4;
const root = resolve(import.meta.dirname, '..', '..');
const pairs = Number(process.argv[2] ?? 5);

function harness(tree: string, mode: string): string {
  return `import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto } from '${tree}/hil/mosquitto.ts';
import { SoftwareSigner } from '${tree}/agent/signing/software-signer.ts';
import { identity, runPipeline } from '${tree}/test/bench/pipeline.bench.ts';
const broker = await startMosquitto();
const dir = mkdtempSync(join(tmpdir(), 'pa-vs-presign-'));
try {
  const id = await identity(SoftwareSigner.generate());
  for (let i = 0; i < ${RUNS_PER_PROCESS}; i++) {
    const r = await runPipeline(join(dir, 'p' + i + '.db'), broker.url, id, 20000, '${mode}');
    if (i > 0) console.log('RUN ' + r.perSec);
  }
} finally {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
}
`;
}

function runs(script: string): number[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return [...r.stdout.matchAll(/^RUN (\d+)$/gm)].map((m) => Number(m[1]));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  execFileSync('git', ['rev-parse', '--verify', `${PRESIGN_COMMIT}^{commit}`], { cwd: root, stdio: 'ignore' });
} catch {
  process.stderr.write(`commit ${PRESIGN_COMMIT} is not in this repository's history (a shallow clone?): fetch the full history to compare\n`);
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'pa-presign-tree-'));
const old = join(scratch, 'tree');
try {
  execFileSync('git', ['worktree', 'add', '--detach', old, PRESIGN_COMMIT], { cwd: root, stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(old, 'node_modules'));
  const oldScript = join(scratch, 'old.mts');
  const newScript = join(scratch, 'new.mts');
  writeFileSync(oldScript, harness(old, 'threaded'));
  writeFileSync(newScript, harness(root, 'pool'));
  const res = { presign: [] as number[], pool: [] as number[] };
  // Which tree goes first alternates, so a drift of the machine's load within a pair favours neither.
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? (['presign', 'pool'] as const) : (['pool', 'presign'] as const);
    for (const side of order) res[side].push(...runs(side === 'pool' ? newScript : oldScript));
  }
  const expected = pairs * (RUNS_PER_PROCESS - 1);
  if (res.pool.length !== expected || res.presign.length !== expected) throw new Error(`expected ${expected} runs each, got ${res.pool.length} (pool) and ${res.presign.length} (presign)`);
  const out: Record<string, number> = {
    presign_obs_per_s: median(res.presign),
    pool_obs_per_s: median(res.pool),
    ratio_pool_vs_presign: Math.round((median(res.pool) / median(res.presign)) * 1000) / 1000,
    runs_each: expected,
  };
  for (const [k, v] of Object.entries(out)) process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
  process.stdout.write(`  presign runs: ${res.presign.join(' ')}\n  pool runs:    ${res.pool.join(' ')}\n`);
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', old], { cwd: root, stdio: 'ignore' });
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * What ships: `npm run build` compiles dist/, the compiled CLI runs without any TypeScript
 * loader (tsx is hidden from it), the embedded agent signs, verifies and publishes through its
 * compiled worker threads, and the packed tarball gives an integrator a typed `place-agent/verify`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { waitFor } from './agent-process.ts';

const repo = join(import.meta.dirname, '..', '..');
const modules = join(repo, 'node_modules');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let scratch: string;

/** A node_modules holding links to the repository's installed packages, minus `omit`. */
function linkedModules(dir: string, omit: Set<string>): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const name of readdirSync(modules)) {
    if (omit.has(name) || name.startsWith('.')) continue;
    symlinkSync(join(modules, name), join(dir, 'node_modules', name));
  }
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'place-package-'));
  const r = spawnSync(npm, ['run', 'build', '--silent'], { cwd: repo, encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('compiled output (dist/)', () => {
  it('the compiled CLI answers --help with no TypeScript loader installed', () => {
    // An application directory holding dist/ and every dependency except tsx and esbuild.
    const app = join(scratch, 'app');
    mkdirSync(app);
    symlinkSync(join(repo, 'dist'), join(app, 'dist'));
    symlinkSync(join(repo, 'package.json'), join(app, 'package.json'));
    linkedModules(app, new Set(['tsx', 'esbuild', '@esbuild']));
    const r = spawnSync(process.execPath, [join(app, 'dist/agent/cli/bin.js'), '--help'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run/);
    expect(r.stdout).toMatch(/verify/);
  });

  it('the compiled embedded agent signs, verifies and publishes through its compiled workers', async () => {
    const app = join(scratch, 'app');
    const state = join(scratch, 'state');
    const child = spawn(process.execPath, [join(app, 'dist/agent/cli/bin.js'), 'run', '--embedded', '--state', state, '--port', '0', '--metrics', 'off', '--envelope-interval-ms', '200'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    let client: MqttClient | undefined;
    try {
      await waitFor(() => /broker (mqtt:\/\/\S+)/.test(out) || child.exitCode !== null, 30_000, `the broker line (stderr: ${err})`);
      const url = /broker (mqtt:\/\/\S+);/.exec(out)![1]!;
      client = await connectAsync(url, { reconnectPeriod: 0 });
      const published: Buffer[] = [];
      client.on('message', (_t, payload) => published.push(payload));
      await client.subscribeAsync('pm/v1/urn:place:DEMO:berth:1/envelope', { qos: 1 });
      await waitFor(() => published.length >= 2 || child.exitCode !== null, 30_000, `two published envelopes (stdout: ${out} stderr: ${err})`);
      expect(child.exitCode, err).toBeNull();
      expect(out).toMatch(/envelope .* verified/);
      expect(out).not.toMatch(/NOT VERIFIED|LINEAGE FAILED/);
      // Tagged COSE_Sign1 (CBOR tag 18 = 0xd2), as the wire contract says.
      expect(published[0]![0]).toBe(0xd2);
    } finally {
      await client?.endAsync();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(err).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|Cannot find module|tsx/);
  }, 90_000);
});

describe('the packed tarball', () => {
  it('installs into a consumer project that type-checks and runs against place-agent/verify', () => {
    const packDir = join(scratch, 'pack');
    mkdirSync(packDir);
    const packed = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { cwd: repo, encoding: 'utf8' });
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('dist/agent/verify/index.d.ts');
    expect(files).toContain('dist/agent/cli/bin.js');
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('hil/'))).toBe(false);

    // Offline: the tarball is unpacked where `npm install <tarball>` would put it, and its
    // dependencies are links to this repository's installed ones (no registry needed).
    const consumer = join(scratch, 'consumer');
    linkedModules(consumer, new Set(['place-agent']));
    const target = join(consumer, 'node_modules', 'place-agent');
    mkdirSync(target);
    execFileSync('tar', ['-xzf', join(packDir, info!.filename), '-C', target, '--strip-components=1']);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'] }, include: ['index.ts'] }));
    writeFileSync(
      join(consumer, 'index.ts'),
      [
        "import { ObservationVerifier, LineageVerifier, trustAnchor, type ObservationCheck } from 'place-agent/verify';",
        '// @ts-expect-error: internals are not part of the exports map',
        "import type { ObservationStore } from 'place-agent/dist/agent/store/store.js';",
        'const verifier = new ObservationVerifier([trustAnchor(new Uint8Array([4, ...new Uint8Array(64).fill(1)]))]);',
        'const check: ObservationCheck = verifier.check(new Uint8Array([0xd2, 0x84]));',
        'const seq: number | undefined = check.ok ? check.claims.seq : undefined;',
        'export type Internal = ObservationStore;',
        'console.log(JSON.stringify({ ok: check.ok, code: check.ok ? null : check.code, seq, lineage: typeof new LineageVerifier() }));',
      ].join('\n'),
    );
    const tsc = spawnSync(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', consumer], { cwd: consumer, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    expect(existsSync(join(consumer, 'out/index.js'))).toBe(true);
    const run = spawnSync(process.execPath, [join(consumer, 'out/index.js')], { cwd: consumer, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: false, code: 'COSE_MALFORMED', lineage: 'object' });
  }, 120_000);
});

/**
 * A scratch root as `systemd/install.sh --root` leaves it, for checking the unit with systemd's
 * own tools: the installed unit and its files, a stand-in built application (dist/ with the
 * notify helper, production node_modules) and the manager's standard targets, which
 * `systemd-analyze verify` resolves the unit's dependencies against.
 */
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '..', '..');

/**
 * Runs one of systemd's tools. They come from the Debian package `systemd` (hil/setup-system.sh
 * installs it); a missing one fails the test with that message, never a silent pass.
 */
export function systemdTool(name: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(name, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${name} is not installed: install the Debian package "systemd" (apt-get install -y systemd); hil/setup-system.sh does this`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Installs into a new scratch root and returns it; the root and the stand-in app are pushed onto `scratch` for the caller to remove. */
export function installedRoot(scratch: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'place-verify-'));
  const app = mkdtempSync(join(tmpdir(), 'place-app-'));
  scratch.push(root, app);
  mkdirSync(join(app, 'dist/agent/cli'), { recursive: true });
  mkdirSync(join(app, 'dist/agent/ops'), { recursive: true });
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{}\n');
  writeFileSync(join(app, 'dist/agent/cli/bin.js'), '\n');
  copyFileSync(join(repo, 'agent/ops/notify-exec.pl'), join(app, 'dist/agent/ops/notify-exec.pl'));
  const r = spawnSync('bash', [join(repo, 'systemd/install.sh'), '--root', root, '--app', app], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const system = '/usr/lib/systemd/system';
  for (const name of readdirSync(system)) {
    if (name.endsWith('.target') && statSync(join(system, name)).isFile()) cpSync(join(system, name), join(root, 'usr/lib/systemd/system', name));
  }
  return root;
}

import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// These checks need systemd's own tools (Debian package `systemd`, which hil/setup-system.sh
// installs). Missing tools fail the test with that message: never a silent pass.
const repo = join(import.meta.dirname, '..', '..');
const unit = join(repo, 'systemd/place-agent.service');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tool(name: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(name, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${name} is not installed: install the Debian package "systemd" (apt-get install -y systemd); hil/setup-system.sh does this`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A scratch root holding the installed unit, its binary and the manager's standard targets. */
function installedRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'place-verify-'));
  dirs.push(root);
  const app = mkdtempSync(join(tmpdir(), 'place-app-'));
  dirs.push(app);
  mkdirSync(join(app, 'dist/agent/cli'), { recursive: true });
  mkdirSync(join(app, 'dist/agent/ops'), { recursive: true });
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{}\n');
  writeFileSync(join(app, 'dist/agent/cli/bin.js'), '\n');
  copyFileSync(join(repo, 'agent/ops/notify-exec.pl'), join(app, 'dist/agent/ops/notify-exec.pl'));
  const r = spawnSync('bash', [join(repo, 'systemd/install.sh'), '--root', root, '--app', app], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // verify resolves the unit's dependencies (multi-user.target, network-online.target, ...).
  const system = '/usr/lib/systemd/system';
  for (const name of readdirSync(system)) {
    if (name.endsWith('.target') && statSync(join(system, name)).isFile()) cpSync(join(system, name), join(root, 'usr/lib/systemd/system', name));
  }
  return root;
}

describe('place-agent.service', () => {
  it('passes systemd-analyze verify without a warning', () => {
    const root = installedRoot();
    const r = tool('systemd-analyze', ['verify', `--root=${root}`, '--man=no', 'place-agent.service']);
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('rates 2.0 or lower in systemd-analyze security --offline', () => {
    const r = tool('systemd-analyze', ['security', '--offline=yes', '--threshold=20', '--no-pager', unit]);
    const m = /Overall exposure level for place-agent\.service: (\d+\.\d)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
    expect(r.status).toBe(0);
  });

  it('is a watchdog-supervised notify service running unprivileged, as the deployment needs', () => {
    const text = readFileSync(unit, 'utf8');
    const keys = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
    }
    const one = (k: string): string | undefined => keys.get(k)?.at(-1);
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('main');
    expect(one('WatchdogSec')).toBe('30');
    expect(one('Restart')).toBe('on-failure');
    expect(one('User')).toBe('place-agent');
    expect(one('ExecStartPre')).toBe('/usr/bin/place-agent config check /etc/place-agent/config.yaml');
    expect(one('ExecStart')).toBe('/usr/bin/place-agent run --config /etc/place-agent/config.yaml');
    expect(one('DevicePolicy')).toBe('closed');
    expect(keys.get('DeviceAllow')).toContain('/dev/tpmrm0 rw');
    expect(one('SupplementaryGroups')).toBe('dialout tss');
    // The agent's own shutdown deadline (agent/ops/shutdown.ts, 20 s) must fit inside it.
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(20);
    // Node's JIT needs writable+executable pages.
    expect(one('MemoryDenyWriteExecute')).toBe('no');
    // No core dump may hold the signing key or the broker password; memory is capped well above
    // the ~100 MB steady state, so a leak or flood restarts the agent instead of starving the host.
    expect(one('LimitCORE')).toBe('0');
    expect(one('MemoryMax')).toBe('256M');
  });
});

describe('sysusers.d and tmpfiles.d entries', () => {
  it('create the user and groups and the directories with the right owners in a scratch root', () => {
    const root = mkdtempSync(join(tmpdir(), 'place-sysusers-'));
    dirs.push(root);
    mkdirSync(join(root, 'etc'));
    const su = tool('systemd-sysusers', [`--root=${root}`, join(repo, 'systemd/place-agent.sysusers')]);
    expect(su.status, su.stderr).toBe(0);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const user = /^place-agent:x:(\d+):(\d+):[^:]*:\/var\/lib\/place-agent:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(user, passwd).not.toBeNull();
    const group = readFileSync(join(root, 'etc/group'), 'utf8');
    expect(group).toMatch(/^dialout:x:\d+:/m);
    expect(group).toMatch(/^tss:x:\d+:/m);

    const tf = tool('systemd-tmpfiles', [`--root=${root}`, '--create', join(repo, 'systemd/place-agent.tmpfiles')]);
    expect(tf.stderr).toBe('');
    expect(tf.status).toBe(0);
    const state = statSync(join(root, 'var/lib/place-agent'));
    expect(state.uid).toBe(Number(user![1]));
    expect((state.mode & 0o777).toString(8)).toBe('700');
    expect((statSync(join(root, 'etc/place-agent')).mode & 0o777).toString(8)).toBe('750');
  });
});

describe('udev rules', () => {
  it('name devices under /dev/place/ and every GOTO has its LABEL', () => {
    const text = readFileSync(join(repo, 'systemd/99-place-agent.rules'), 'utf8');
    const rules = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const labels = new Set(rules.flatMap((l) => [...l.matchAll(/LABEL="([^"]+)"/g)].map((m) => m[1])));
    for (const l of rules) for (const m of l.matchAll(/GOTO="([^"]+)"/g)) expect(labels).toContain(m[1]);
    for (const l of rules.filter((r) => r.includes('SYMLINK'))) expect(l).toMatch(/SYMLINK\+="place\/[a-z0-9]+"/);
    expect(rules.some((l) => l.includes('SYMLINK+="place/gnss"'))).toBe(true);
    // Every line is comma-separated KEY op "value" pairs (udev(7)).
    for (const l of rules) expect(l).toMatch(/^(\s*[A-Z_]+(\{[^}]+\})?(==|!=|\+=|=|:=)"[^"]*"\s*,?)+$/);
  });
});

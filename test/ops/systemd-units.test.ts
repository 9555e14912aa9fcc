import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedRoot as installInto, repo, systemdTool as tool } from './installed-root.ts';

const unit = join(repo, 'systemd/place-agent.service');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const installedRoot = () => installInto(dirs);

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

import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LineLog } from './lines.ts';

const repo = join(import.meta.dirname, '..', '..');
const install = join(repo, 'systemd/install.sh');
const uninstall = join(repo, 'systemd/uninstall.sh');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A stand-in application: what install.sh copies, plus a test/ folder it must leave out. */
function fakeApp(): string {
  const app = scratch('place-app-');
  const put = (path: string, text: string): void => {
    mkdirSync(join(app, path, '..'), { recursive: true });
    writeFileSync(join(app, path), text);
  };
  put('package.json', '{"name":"place-agent","type":"module"}\n');
  put('dist/agent/cli/bin.js', 'console.log(JSON.stringify({ argv: process.argv.slice(2), notifyFd: process.env.PLACE_AGENT_NOTIFY_FD ?? null, pid: process.pid }));\n');
  mkdirSync(join(app, 'dist/agent/ops'), { recursive: true });
  copyFileSync(join(repo, 'agent/ops/notify-exec.pl'), join(app, 'dist/agent/ops/notify-exec.pl'));
  put('dist/core/reading.js', 'export {};\n');
  put('core/reading.ts', 'not installed\n');
  put('node_modules/yaml/index.js', 'export default 1;\n');
  put('test/unit/x.test.ts', 'not installed\n');
  put('hil/setup-system.sh', 'not installed\n');
  return app;
}

/** Every file and symlink under root, relative, with mode and content digest. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(root, p), `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(root);
  return out;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const EXPECTED = [
  'etc/place-agent/config.yaml',
  'usr/bin/place-agent',
  'usr/lib/place-agent/dist/agent/cli/bin.js',
  'usr/lib/place-agent/dist/agent/ops/notify-exec.pl',
  'usr/lib/place-agent/dist/core/reading.js',
  'usr/lib/place-agent/node_modules/yaml/index.js',
  'usr/lib/place-agent/package.json',
  'usr/lib/place-agent/systemd/README.md',
  'usr/lib/systemd/system/place-agent.service',
  'usr/lib/sysusers.d/place-agent.conf',
  'usr/lib/tmpfiles.d/place-agent.conf',
  'usr/lib/udev/rules.d/99-place-agent.rules',
];

describe('install.sh / uninstall.sh', () => {
  it('installs exactly the expected files into a scratch root, idempotently, and uninstall leaves nothing', () => {
    const app = fakeApp();
    const root = scratch('place-root-');
    const first = run(install, ['--root', root, '--app', app]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const t1 = tree(root);
    expect([...t1.keys()].sort()).toEqual(EXPECTED);
    const same = (installed: string, source: string): void => expect(readFileSync(join(root, installed), 'utf8')).toBe(readFileSync(source, 'utf8'));
    same('usr/lib/systemd/system/place-agent.service', join(repo, 'systemd/place-agent.service'));
    same('usr/lib/sysusers.d/place-agent.conf', join(repo, 'systemd/place-agent.sysusers'));
    same('usr/lib/tmpfiles.d/place-agent.conf', join(repo, 'systemd/place-agent.tmpfiles'));
    same('usr/lib/udev/rules.d/99-place-agent.rules', join(repo, 'systemd/99-place-agent.rules'));
    same('usr/bin/place-agent', join(repo, 'systemd/place-agent.sh'));
    expect(t1.get('usr/bin/place-agent')!.split(' ')[0]).toBe('755');
    expect(t1.get('etc/place-agent/config.yaml')!.split(' ')[0]).toBe('640');

    // The operator edits the config; a second install changes nothing, the edit survives.
    writeFileSync(join(root, 'etc/place-agent/config.yaml'), 'place: urn:place:DEHAM:berth:42\n');
    const edited = tree(root);
    expect(run(install, ['--root', root, '--app', app]).status).toBe(0);
    expect(tree(root)).toEqual(edited);

    const removed = run(uninstall, ['--root', root]);
    expect(removed.status).toBe(0);
    expect(readdirSync(root)).toEqual([]);
    expect(run(uninstall, ['--root', root]).status).toBe(0);
    expect(readdirSync(root)).toEqual([]);
  });

  it('takes the first config from --config, and --keep-data keeps it through an uninstall', () => {
    const app = fakeApp();
    const root = scratch('place-root-');
    const config = join(scratch('place-conf-'), 'config.yaml');
    writeFileSync(config, 'place: urn:place:NLRTM:dock:7\n');
    expect(run(install, ['--root', root, '--app', app, '--config', config]).status).toBe(0);
    expect(readFileSync(join(root, 'etc/place-agent/config.yaml'), 'utf8')).toBe('place: urn:place:NLRTM:dock:7\n');
    expect(run(uninstall, ['--root', root, '--keep-data']).status).toBe(0);
    expect([...tree(root).keys()]).toEqual(['etc/place-agent/config.yaml']);
  });

  it('refuses, with a clear message, to install or uninstall on a machine without systemd', () => {
    const env = { PLACE_AGENT_SYSTEMD_RUNDIR: join(scratch('place-nosd-'), 'run/systemd/system') };
    for (const script of [install, uninstall]) {
      const r = run(script, [], env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/systemd is not running on this machine/);
      expect(r.stderr).toMatch(/--root DIR/);
    }
  });

  it('refuses an application directory without node_modules', () => {
    const app = fakeApp();
    rmSync(join(app, 'node_modules'), { recursive: true });
    const r = run(install, ['--root', scratch('place-root-'), '--app', app]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("run 'npm ci && npm run build && npm prune --omit=dev' there first");
  });

  it('the installed /usr/bin/place-agent hands Node a notify socket only for `run` under systemd', async () => {
    const app = fakeApp();
    const root = scratch('place-root-');
    expect(run(install, ['--root', root, '--app', app]).status).toBe(0);
    const wrapper = join(root, 'usr/bin/place-agent');
    const socketPath = join(scratch('place-sock-'), 'notify');
    const rx = spawn('perl', [join(repo, 'test/ops/fixtures/notify-receiver.pl'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new LineLog(rx.stdout!, 'receiver').waitFor((l) => l === 'bound');
      const env: NodeJS.ProcessEnv = { ...process.env, PLACE_AGENT_APP_DIR: join(root, 'usr/lib/place-agent'), PLACE_AGENT_NODE: process.execPath, NOTIFY_SOCKET: socketPath };
      delete env.PLACE_AGENT_NOTIFY_FD;
      const call = (args: string[], e: NodeJS.ProcessEnv): { argv: string[]; notifyFd: string | null } => {
        const r = spawnSync(wrapper, args, { encoding: 'utf8', env: e });
        expect(r.status).toBe(0);
        return JSON.parse(r.stdout) as { argv: string[]; notifyFd: string | null };
      };
      const running = call(['run', '--config', '/etc/place-agent/config.yaml'], env);
      expect(running.argv).toEqual(['run', '--config', '/etc/place-agent/config.yaml']);
      expect(running.notifyFd).toMatch(/^\d+$/);
      expect(call(['config', 'check', '/etc/place-agent/config.yaml'], env).notifyFd).toBeNull();
      const noSystemd = { ...env };
      delete noSystemd.NOTIFY_SOCKET;
      expect(call(['run'], noSystemd).notifyFd).toBeNull();
    } finally {
      rx.kill();
    }
  });
});

describe('install.sh: custody of the installed code', () => {
  it('installs root-owned files and directories that neither group nor others can write, whatever the checkout had', () => {
    const app = fakeApp();
    // A checkout made under umask 002 with a group-writable tree and a stray set-uid bit.
    const pkg = join(app, 'package.json');
    spawnSync('chmod', ['-R', 'g+w,o+w', app]);
    spawnSync('chmod', ['6664', pkg]);
    const root = scratch('place-root-');
    const r = spawnSync('bash', ['-c', `umask 002 && exec bash ${install} --root ${root} --app ${app}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bad: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = lstatSync(p);
        if (st.isSymbolicLink()) continue;
        const rel = relative(root, p);
        if (st.mode & 0o022) bad.push(`${rel} writable by group/others (${(st.mode & 0o777).toString(8)})`);
        if (st.mode & 0o6000) bad.push(`${rel} set-id`);
        // The test runs as root on the rig; a package build without root leaves owners to its archive.
        if (process.getuid?.() === 0 && (st.uid !== 0 || st.gid !== 0)) bad.push(`${rel} owned by ${st.uid}:${st.gid}`);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(join(root, 'usr'));
    walk(join(root, 'etc'));
    expect(bad).toEqual([]);
    expect(tree(root).get('usr/lib/place-agent/package.json')!.split(' ')[0]).toBe('644');
    // Executable in the checkout (0777 after the chmod above): stays executable, loses g+w/o+w.
    expect(tree(app).get('dist/agent/ops/notify-exec.pl')!.split(' ')[0]).toBe('777');
    expect(tree(root).get('usr/lib/place-agent/dist/agent/ops/notify-exec.pl')!.split(' ')[0]).toBe('755');
  });

  it('ships a unit without core dumps and with IP traffic denied but for loopback and a drop-in', () => {
    const unit = readFileSync(join(repo, 'systemd/place-agent.service'), 'utf8');
    const settings = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    expect(settings).toContain('LimitCORE=0');
    expect(settings).toContain('IPAddressDeny=any');
    expect(settings.filter((l) => l.startsWith('IPAddressAllow='))).toEqual(['IPAddressAllow=localhost']);
  });
});

/**
 * Every command given bad arguments, missing files, unreachable peers and taken ports, as a
 * user would type them: each answers with one coded line and its documented exit code, never
 * a stack trace, and start-up failures end within seconds. Also: --help on every command
 * (usage, each flag, an example), --version, and unknown flags named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAgent } from './agent-process.ts';
import { freePort } from '../../hil/ports.ts';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { runInProcess } from '../support/cli-in-process.ts';

const STACK = /\n\s+at [^\n]+:\d+:\d+/;

interface Case {
  args: string[];
  exit: number;
  code: string;
  /** Text the message must contain (the flag, file or port it is about). */
  names?: string;
  /**
   * A guard against hanging, for start-up failures that used to run on indefinitely. Not a
   * speed check: on a shared, loaded machine Node and the TypeScript loader alone take seconds.
   */
  withinMs?: number;
  /** Through the real binary (a child process) rather than main() in this process. */
  spawn?: boolean;
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

/** Runs cases a few at a time: each is its own process, and the machine is shared. */
async function runAll<T>(items: T[], f: (t: T) => Promise<void>, width = 4): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await f(t);
  }));
}

describe('place-agent CLI errors', () => {
  let dir: string;
  let held: Server[] = [];
  let anchor: string;
  let auth: string;
  let state: string;
  const f = (name: string): string => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-cli-errors-'));
    auth = f('authority');
    state = f('state');
    expect((await runAgent(['authority', 'init', '--dir', auth])).code).toBe(0);
    expect((await runAgent(['keys', 'init', '--state', state])).code).toBe(0);
    anchor = join(auth, 'anchor.cose');
    writeFileSync(f('empty.cbor'), '');
    writeFileSync(f('garbage.cbor'), Buffer.from('not cbor at all, just text\n'));
    writeFileSync(f('ok.yaml'), `place: urn:place:DEMO:berth:1\nstateDir: ${f('cfg-state')}\nmetrics:\n  enabled: false\n`);
    mkdirSync(f('empty-state'));
  }, 60_000);

  afterAll(() => {
    for (const s of held) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every bad invocation with a coded line and its exit code, no stack trace', async () => {
    const taken = await holdPort();
    const takenBroker = await holdPort();
    held = [taken.server, takenBroker.server];
    const noTpm = await freePort();
    const issuer = 'urn:place-agent:01' + '00'.repeat(16);
    const grant = ['authority', 'grant', '--dir', auth, '--reservation', 'R1', '--unit', 'mmsi:211331640'];
    const cases: Case[] = [
      { args: [], exit: 2, code: 'USAGE' , spawn: true },
      { args: ['frobnicate'], exit: 2, code: 'USAGE', names: 'frobnicate' },
      { args: ['keys'], exit: 2, code: 'USAGE', names: 'keys' },
      { args: ['keys', 'frob'], exit: 2, code: 'USAGE', names: 'frob' },
      { args: ['verify', '--colour', 'red'], exit: 2, code: 'USAGE', names: '--colour' },
      { args: ['verify', '--anchor', anchor], exit: 2, code: 'USAGE', names: '--file' },
      { args: ['verify', '--anchor', anchor, '--file', f('missing.cbor')], exit: 2, code: 'INPUT_UNREADABLE', names: 'missing.cbor' , spawn: true },
      { args: ['verify', '--anchor', f('no-anchor.cose'), '--file', f('empty.cbor')], exit: 2, code: 'INPUT_UNREADABLE', names: 'no-anchor.cose' },
      { args: ['verify', '--anchor', anchor, '--file', f('empty.cbor')], exit: 1, code: 'VERIFY_EMPTY', names: 'empty.cbor' },
      { args: ['verify', '--anchor', anchor, '--file', f('garbage.cbor')], exit: 1, code: 'COSE_NOT_SIGN1' },
      { args: ['verify', '--anchor', anchor, '--file', f('empty.cbor'), '--count', '3'], exit: 2, code: 'USAGE', names: '--count' },
      { args: ['verify', '--anchor', anchor, '--broker', 'mqtt://127.0.0.1:1', '--place', 'urn:place:X:1'], exit: 3, code: 'BROKER_UNREACHABLE', names: '127.0.0.1:1', withinMs: 90_000 , spawn: true },
      { args: ['verify', '--anchor', anchor, '--broker', 'mqtt://127.0.0.1:1', '--place', 'urn:place:X/#'], exit: 2, code: 'USAGE', names: '--place' },
      { args: ['verify', '--anchor', anchor, '--broker', 'mqtt://127.0.0.1:1', '--place', 'urn:place:X:1', '--count', 'many'], exit: 2, code: 'USAGE', names: '--count' },
      { args: ['decode', 'nmea', '--port', '/dev/ttyUSB7'], exit: 3, code: 'SERIAL_OPEN_FAILED', names: '/dev/ttyUSB7' , spawn: true },
      { args: ['decode', 'klingon'], exit: 2, code: 'USAGE', names: 'klingon' },
      { args: ['decode', 'nmea', '--baud', 'fast'], exit: 2, code: 'USAGE', names: '--baud' },
      { args: ['export', '--state', f('nonexistent'), '--out', f('x.cbor')], exit: 3, code: 'STORE_MISSING', names: 'nonexistent' },
      { args: ['export', '--state', f('empty-state'), '--out', f('x.cbor')], exit: 3, code: 'STORE_MISSING', names: 'agent.db' },
      { args: ['export', '--state', state], exit: 2, code: 'USAGE', names: '--out' },
      { args: ['audit', 'export', '--config', f('missing.yaml'), '--out', f('x.cbor')], exit: 2, code: 'CONFIG_UNREADABLE', names: 'missing.yaml' },
      { args: ['config', 'check'], exit: 2, code: 'USAGE', names: 'FILE' },
      { args: ['config', 'check', f('missing.yaml')], exit: 2, code: 'CONFIG_UNREADABLE', names: 'missing.yaml' },
      { args: ['config', 'check', f('ok.yaml'), 'extra'], exit: 2, code: 'USAGE', names: 'extra' },
      { args: ['keys', 'show', '--state', f('empty-state')], exit: 3, code: 'KEY_MISSING' },
      { args: ['keys', 'show', '--state', state, '--config', f('ok.yaml')], exit: 2, code: 'USAGE', names: '--state' },
      { args: ['enroll'], exit: 2, code: 'USAGE', names: 'enroll' },
      { args: ['enroll', 'request'], exit: 2, code: 'USAGE', names: '--tpm' },
      { args: ['authority', 'init'], exit: 2, code: 'USAGE', names: '--dir' },
      { args: ['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', join(state, 'device.key'), '--places', 'urn:place:X:1'], exit: 2, code: 'KEY_PRIVATE_REFUSED', names: 'device.key' },
      { args: ['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', anchor, '--places', 'berth 42/a'], exit: 2, code: 'USAGE', names: '--places' },
      { args: ['authority', 'issue', '--dir', auth, '--subject', 'device 7', '--key', anchor, '--places', 'urn:place:X:1'], exit: 2, code: 'USAGE', names: '--subject' },
      { args: ['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', anchor, '--places', 'urn:place:X:1', '--days', '-3'], exit: 2, code: 'USAGE', names: '--days' },
      { args: [...grant, '--place', 'urn:place:X/#', '--start', '2026-12-01T08:00Z', '--end', '2026-12-01T20:00Z'], exit: 2, code: 'USAGE', names: '--place' },
      { args: [...grant, '--place', 'urn:place:X:1', '--start', '2026-12-01T20:00Z', '--end', '2026-12-01T08:00Z'], exit: 2, code: 'USAGE', names: 'start before it ends' },
      { args: [...grant, '--place', 'urn:place:X:1', '--start', 'tomorrow', '--end', '2026-12-01T08:00Z'], exit: 2, code: 'USAGE', names: '--start' },
      { args: ['authority', 'grant', '--dir', f('nonexistent'), '--reservation', 'R1', '--unit', 'mmsi:1', '--place', 'urn:place:X:1', '--start', '1', '--end', '2'], exit: 2, code: 'INPUT_UNREADABLE', names: 'nonexistent' },
      { args: ['status', '--url', 'http://127.0.0.1:1', '--once'], exit: 3, code: 'OPS_STATUS_UNREACHABLE' },
      { args: ['status', '--state', f('empty-state'), '--once'], exit: 2, code: 'INPUT_UNREADABLE', names: 'device.id' },
      { args: ['run', '--config', f('missing.yaml')], exit: 2, code: 'CONFIG_UNREADABLE', names: 'missing.yaml' , spawn: true },
      { args: ['run', '--config', f('ok.yaml'), '--port', '1884'], exit: 2, code: 'USAGE', names: '--port' , spawn: true },
      { args: ['run', '--config', f('ok.yaml'), '--state', state], exit: 2, code: 'USAGE', names: '--state' },
      { args: ['run', '--embedded', '--port', 'abc'], exit: 2, code: 'USAGE', names: '--port' },
      { args: ['run', '--embedded', '--metrics', 'everywhere'], exit: 2, code: 'USAGE', names: '--metrics' },
      { args: ['run', '--embedded', '--state', f('m-state'), '--metrics', `127.0.0.1:${taken.port}`], exit: 3, code: 'OPS_PORT_IN_USE', names: String(taken.port), withinMs: 90_000 , spawn: true },
      { args: ['run', '--embedded', '--state', f('b-state'), '--port', String(takenBroker.port), '--metrics', 'off', '--quiet'], exit: 3, code: 'BROKER_PORT_IN_USE', names: String(takenBroker.port), withinMs: 90_000 , spawn: true },
      { args: ['run', '--embedded', '--state', f('t-state'), '--tpm', `swtpm:host=127.0.0.1,port=${noTpm}`, '--metrics', 'off'], exit: 3, code: 'TPM_UNREACHABLE', names: String(noTpm), withinMs: 90_000 , spawn: true },
    ];
    const failures: string[] = [];
    const spawned = cases.filter((c) => c.spawn);
    for (const c of cases.filter((c) => !c.spawn)) await check(c, await runInProcess(c.args), 0);
    await runAll(spawned, async (c) => {
      const t0 = Date.now();
      await check(c, await runAgent(c.args), Date.now() - t0);
    }, 3);
    async function check(c: Case, r: { code: number | null; stdout: string; stderr: string }, took: number): Promise<void> {
      const line = `place-agent ${c.args.join(' ')} -> exit ${r.code} in ${took} ms\n${r.stderr}${r.stdout}`;
      if (r.code !== c.exit) failures.push(`expected exit ${c.exit}: ${line}`);
      // A coded failure line: `place-agent: CODE: ...` on stderr, or a verification result `item N: CODE: ...` on stdout.
      else if (!new RegExp(`^place-agent: ${c.code}: `, 'm').test(r.stderr) && !new RegExp(`^(item|seq) \\d+: ${c.code}: `, 'm').test(r.stdout)) failures.push(`expected ${c.code}: ${line}`);
      else if (c.names && !r.stderr.includes(c.names)) failures.push(`expected the message to name ${c.names}: ${line}`);
      else if (STACK.test(r.stderr + r.stdout)) failures.push(`stack trace: ${line}`);
      else if (c.withinMs && took > c.withinMs) failures.push(`took longer than ${c.withinMs} ms: ${line}`);
    }
    expect(failures).toEqual([]);
    // Refused start-ups opened nothing: no state directory was made for them.
    expect(existsSync(f('m-state'))).toBe(false);
    expect(existsSync(f('t-state'))).toBe(false);
    expect(existsSync(f('nonexistent'))).toBe(false);
    expect(existsSync(join(f('empty-state'), 'agent.db'))).toBe(false);
  }, 300_000);

  it('prints help for the top level and every command: usage, each flag, an example', async () => {
    const top = await runAgent(['--help']); // the binary once; each command through main()
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.name);
    const failures: string[] = [];
    for (const c of COMMANDS) {
      const r = await runInProcess([...c.name.split(' '), '--help']);
      const missing = [`usage: place-agent ${c.name}`, ...Object.keys(c.flags).map((k) => `--${k}`), 'example', 'exit codes'].filter((s) => !r.stdout.includes(s));
      if (r.code !== 0 || missing.length) failures.push(`${c.name} --help: exit ${r.code}, missing ${missing.join(', ')}`);
    }
    expect(failures).toEqual([]);
    const group = await runInProcess(['authority', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('authority issue');
  }, 120_000);

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const r = await runAgent(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`place-agent ${pkg.version}`);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineLog } from './lines.ts';

const repo = join(import.meta.dirname, '..', '..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(cmd, args, { cwd: repo, env, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** Starts a receiver standing in for systemd's notify socket; returns its datagram log. */
async function notifySocket(address: string): Promise<LineLog> {
  const rx = start('perl', [join(repo, 'test/ops/fixtures/notify-receiver.pl'), address]);
  const log = new LineLog(rx.stdout!, 'notify receiver');
  await log.waitFor((l) => l === 'bound');
  return log;
}

const datagram = (hexLine: string): string => Buffer.from(hexLine, 'hex').toString('utf8');

/** Runs the stand-in agent the way /usr/bin/place-agent does under systemd: via notify-exec.pl. */
function startAgent(notifySocketAddress: string, watchdogUsec = '300000'): { child: ChildProcess; out: LineLog } {
  const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: notifySocketAddress, WATCHDOG_USEC: watchdogUsec };
  delete env.PLACE_AGENT_NOTIFY_FD;
  const child = start('perl', [
    join(repo, 'agent/ops/notify-exec.pl'),
    process.execPath,
    '--import',
    'tsx',
    join(repo, 'test/ops/fixtures/notify-agent.ts'),
  ], env);
  return { child, out: new LineLog(child.stdout!, 'agent stdout') };
}

describe('sd_notify through notify-exec.pl', () => {
  it('sends READY and STATUS, pings while healthy, withholds pings once the signer hangs, and says STOPPING', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'place-notify-'));
    dirs.push(dir);
    const socketPath = join(dir, 'notify');
    const rx = await notifySocket(socketPath);
    const { child, out } = startAgent(socketPath);

    const first = out.lines[await out.waitFor((l) => l.startsWith('pid '))]!;
    // exec() kept the PID: the process systemd started is the one that notifies (NotifyAccess=main).
    expect(first).toBe(`pid ${child.pid} transport on watchdog 300`);

    const readyAt = await rx.waitFor((l) => datagram(l).startsWith('READY=1'));
    expect(datagram(rx.lines[readyAt]!)).toBe('READY=1\nSTATUS=3 sources up, outbox 0');
    await rx.waitFor((l) => datagram(l) === 'WATCHDOG=1', readyAt);
    await out.waitFor((l) => l === 'round pinged');

    child.stdin!.write('status outbox 12, broker down\n');
    await rx.waitFor((l) => datagram(l) === 'STATUS=outbox 12, broker down');

    child.stdin!.write('hang\n');
    const withheldAt = await rx.waitFor((l) => datagram(l).startsWith('STATUS=unhealthy, watchdog withheld: signer'));
    // Three more rounds with the signer still hung, then a marker through the same socket:
    // everything the agent sent before the marker has reached the receiver in order.
    const firstWithheld = await out.waitFor((l) => l === 'round withheld signer');
    await out.waitFor((l) => l === 'round withheld signer', firstWithheld + 1);
    const third = await out.waitFor((l) => l === 'round withheld signer', firstWithheld + 2);
    await out.waitFor((l) => l === 'round withheld signer', third + 1);
    child.stdin!.write('status marker\n');
    const markerAt = await rx.waitFor((l) => datagram(l) === 'STATUS=marker');

    const afterHang = rx.lines.slice(withheldAt, markerAt).map(datagram);
    expect(afterHang).not.toContain('WATCHDOG=1');
    expect(rx.lines.slice(0, withheldAt).map(datagram)).toContain('WATCHDOG=1');

    child.stdin!.write('stop\n');
    const stopAt = await rx.waitFor((l) => datagram(l).startsWith('STOPPING=1'));
    expect(datagram(rx.lines[stopAt]!)).toBe('STOPPING=1\nSTATUS=stopping: test');
    await out.waitFor((l) => l === 'stopped true');
  });

  it('reaches an abstract notify socket written with a leading @', async () => {
    const name = `@place-agent-test-${process.pid}-${Date.now()}`;
    const rx = await notifySocket(name);
    const { child } = startAgent(name);
    await rx.waitFor((l) => datagram(l).startsWith('READY=1'));
    child.stdin!.write('stop\n');
    await rx.waitFor((l) => datagram(l).startsWith('STOPPING=1'));
  });

  it('runs without notifications when NOTIFY_SOCKET is unset', async () => {
    const env = { ...process.env };
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    const child = start(process.execPath, ['--import', 'tsx', join(repo, 'test/ops/fixtures/notify-agent.ts')], env);
    const out = new LineLog(child.stdout!, 'agent stdout');
    const first = out.lines[await out.waitFor((l) => l.startsWith('pid '))]!;
    expect(first).toBe(`pid ${child.pid} transport off watchdog none`);
    child.stdin!.write('stop\n');
    await out.waitFor((l) => l === 'stopped true');
  });
});

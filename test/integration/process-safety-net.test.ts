/**
 * The running binary's last line of defence (agent/cli/process-safety.ts), provoked through a
 * test-only preload (test/support/provoke-on-signal.mjs: each SIGUSR2 leaves a failure no code
 * handles). A stray rejection is logged with UNHANDLED_REJECTION, counted on /metrics under the
 * agent's component, and the agent goes on signing; an uncaught exception is logged with
 * UNCAUGHT_EXCEPTION and the process exits 3, for systemd's Restart=on-failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnAgent, waitFor, type AgentProcess } from './agent-process.ts';
import { freePort } from '../../hil/ports.ts';
import { stopProcess } from '../../hil/peer-process.ts';

const PRELOAD = pathToFileURL(resolve(import.meta.dirname, '../support/provoke-on-signal.mjs')).href;
const counted = (metrics: string, code: string) => Number(new RegExp(`^place_agent_errors_total\\{component="agent",code="${code}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);

describe('run: a failure nothing handled', () => {
  let dir: string;
  let agent: AgentProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-safety-net-'));
  });

  afterAll(async () => {
    // Waits for the exit: a killed agent may still be writing into dir.
    await stopProcess(agent?.proc, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts a stray rejection and goes on; exits 3 on an uncaught exception', async () => {
    const ops = `127.0.0.1:${await freePort()}`;
    const brokerPort = await freePort();
    agent = spawnAgent(['run', '--embedded', '--state', dir, '--port', String(brokerPort), '--quiet', '--metrics', ops, '--envelope-interval-ms', '100'], { NODE_OPTIONS: `--import=${PRELOAD}` });
    await waitFor(() => agent!.stdout().includes('/metrics'), 60_000, 'the agent running');
    const metrics = async () => (await fetch(`http://${ops}/metrics`)).text();
    const envelopes = async () => Number(/^place_agent_observations_signed_total\{kind="envelope"\} (\d+)$/m.exec(await metrics())?.[1] ?? 0);

    agent.proc.kill('SIGUSR2');
    await waitFor(() => agent!.stderr().includes('UNHANDLED_REJECTION'), 30_000, 'the stray rejection logged');
    expect(counted(await metrics(), 'UNHANDLED_REJECTION')).toBe(1);
    const line = agent.stderr().split('\n').find((l) => l.includes('UNHANDLED_REJECTION'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 'error', code: 'UNHANDLED_REJECTION', error: { message: 'provoked: a rejection nobody handles' } });
    // Still signing.
    const before = await envelopes();
    await waitFor(async () => (await envelopes()) > before, 30_000, 'observations signed after the rejection');
    expect(agent.proc.exitCode).toBeNull();

    agent.proc.kill('SIGUSR2');
    expect(await agent.exited, agent.stderr()).toBe(3);
    const last = agent.stderr().split('\n').find((l) => l.includes('UNCAUGHT_EXCEPTION'));
    expect(last && JSON.parse(last)).toMatchObject({ level: 'error', code: 'UNCAUGHT_EXCEPTION', error: { message: 'provoked: an exception nobody catches' } });
  }, 120_000);
});

/**
 * A running demo as an operator and an auditor meet it: /metrics exports counters from zero
 * and times every signature (no systemd here); `status` checks it talks to this device's
 * agent and refuses another one; a second agent on the same metrics port is refused, naming
 * it; `verify --broker` ends at --count, at --duration and on Ctrl-C, with a summary each time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent, spawnAgent, waitFor, type AgentProcess } from './agent-process.ts';
import { freePort } from '../../hil/ports.ts';

describe('a running agent, its metrics, status and verify --broker', () => {
  let dir: string;
  let state: string;
  let agent: AgentProcess;
  let metricsUrl: string;
  let brokerUrl: string;
  let anchor: string;
  const PLACE = 'urn:place:DEMO:berth:1';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-cli-run-'));
    state = join(dir, 'a');
    const opsPort = await freePort();
    const brokerPort = await freePort();
    metricsUrl = `http://127.0.0.1:${opsPort}`;
    brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
    anchor = join(state, 'authority', 'anchor.cose');
    agent = spawnAgent(['run', '--embedded', '--state', state, '--port', String(brokerPort), '--metrics', `127.0.0.1:${opsPort}`, '--quiet', '--envelope-interval-ms', '200']);
    await waitFor(async () => (await fetch(`${metricsUrl}/metrics`).catch(() => undefined))?.ok === true || agent.proc.exitCode !== null, 120_000, 'the demo metrics');
    expect(agent.proc.exitCode, agent.stderr()).toBeNull();
  }, 180_000);

  afterAll(async () => {
    agent?.proc.kill('SIGTERM');
    await agent?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports unlabelled counters from zero and times every signature', async () => {
    await waitFor(async () => /place_agent_observations_signed_total\{kind="envelope"\} [1-9]/.test(await (await fetch(`${metricsUrl}/metrics`)).text()), 60_000, 'envelopes');
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toMatch(/^place_agent_broker_reconnects_total 0$/m);
    expect(text).toMatch(/^place_agent_watchdog_pings_total 0$/m);
    const signed = Number(/^place_agent_observations_signed_total\{kind="envelope"\} (\d+)/m.exec(text)![1]);
    const timed = Number(/^place_agent_signer_latency_seconds_count\{signer="software"\} (\d+)/m.exec(text)?.[1] ?? 0);
    expect(timed).toBeGreaterThanOrEqual(signed);
  }, 120_000);

  it('status shows this device and refuses an agent that is not it', async () => {
    const mine = await runAgent(['status', '--state', state, '--url', metricsUrl, '--once']);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toContain(PLACE);
    const other = join(dir, 'b');
    expect((await runAgent(['keys', 'init', '--state', other])).code).toBe(0);
    const wrong = await runAgent(['status', '--state', other, '--url', metricsUrl, '--once']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^place-agent: OPS_STATUS_WRONG_AGENT: .*another agent holds the port/m);
    expect(wrong.stdout).toBe('');
  }, 120_000);

  it('refuses a second agent on the same metrics port, naming the port', async () => {
    const port = new URL(metricsUrl).port;
    const second = await runAgent(['run', '--embedded', '--state', join(dir, 'c'), '--port', String(await freePort()), '--metrics', `127.0.0.1:${port}`]);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`^place-agent: OPS_PORT_IN_USE: port ${port} `, 'm'));
  }, 120_000);

  it('verify --broker ends at --count and at --duration with a summary', async () => {
    const counted = await runAgent(['verify', '--anchor', anchor, '--broker', brokerUrl, '--place', PLACE, '--count', '5', '--duration', '120']);
    expect(counted.code, counted.stdout + counted.stderr).toBe(0);
    expect(counted.stderr).toMatch(/^5 observation\(s\), 0 duplicate\(s\), 0 failure\(s\).*count reached/m);
    const timed = await runAgent(['verify', '--anchor', anchor, '--broker', brokerUrl, '--place', PLACE, '--duration', '3']);
    expect(timed.code, timed.stdout + timed.stderr).toBe(0);
    expect(timed.stderr).toMatch(/^\d+ observation\(s\), 0 duplicate\(s\), 0 failure\(s\).*duration over after 3\.\d s/m);
  }, 180_000);

  it('verify --broker prints what it verified when interrupted with Ctrl-C', async () => {
    const v = spawnAgent(['verify', '--anchor', anchor, '--broker', brokerUrl, '--place', PLACE, '--duration', '600']);
    await waitFor(() => v.stderr().includes('collecting') || v.proc.exitCode !== null, 60_000, 'verify to subscribe');
    await new Promise((r) => setTimeout(r, 5000));
    v.proc.kill('SIGINT');
    expect(await v.exited, v.stderr()).toBe(0);
    expect(v.stderr()).toMatch(/^\d+ observation\(s\), 0 duplicate\(s\), 0 failure\(s\).*interrupted/m);
  }, 120_000);
});

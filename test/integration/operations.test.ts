/**
 * Operations of the real agent process, started the way the systemd unit starts it (through
 * notify-exec.pl with NOTIFY_SOCKET and WATCHDOG_USEC set): READY and WATCHDOG reach a notify
 * socket the test listens on; /metrics, /healthz and `place-agent status --json` report what the
 * agent's own store says happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LineLog } from '../ops/lines.ts';
import { freePort } from '../../hil/ports.ts';
import { BIN_ARGS, runAgent, waitFor } from './agent-process.ts';
import { keptDatabase } from '../support/kept-database.ts';

const repo = resolve(import.meta.dirname, '../..');
const datagram = (hex: string): string => Buffer.from(hex, 'hex').toString('utf8');

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('operations of a running agent', () => {
  let dir: string;
  let rx: ChildProcess;
  let agent: ChildProcess;
  let notify: LineLog;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-ops-'));
    rx = spawn('perl', [join(repo, 'test/ops/fixtures/notify-receiver.pl'), join(dir, 'notify')], { stdio: ['ignore', 'pipe', 'inherit'] });
    notify = new LineLog(rx.stdout!, 'notify receiver');
    await notify.waitFor((l) => l === 'bound');
    const [mqttPort, opsPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${opsPort}`;
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: join(dir, 'notify'), WATCHDOG_USEC: '2000000' };
    delete env.PLACE_AGENT_NOTIFY_FD;
    agent = spawn(
      'perl',
      [join(repo, 'agent/ops/notify-exec.pl'), process.execPath, ...BIN_ARGS, 'run', '--embedded', '--state', join(dir, 'state'), '--port', String(mqttPort), '--metrics', `127.0.0.1:${opsPort}`, '--quiet', '--envelope-interval-ms', '200'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  });

  afterAll(async () => {
    if (agent?.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    rx?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('notifies READY with a status line, then feeds the watchdog while healthy', async () => {
    const ready = await notify.waitFor((l) => datagram(l).startsWith('READY=1'));
    expect(datagram(notify.lines[ready]!)).toMatch(/^READY=1\nSTATUS=head \d+ epoch \d+, outbox \d+, broker \w+, 3\/3 sources up$/);
    await notify.waitFor((l) => datagram(l) === 'WATCHDOG=1', ready);
  });

  it('serves metrics, health and status that match the store', async () => {
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 20_000, 'healthz');
    await waitFor(async () => metric(await (await fetch(`${url}/metrics`)).text(), 'place_agent_readings_total', 'source="sim-range"') > 0, 20_000, 'readings from every simulated source');
    const db = keptDatabase(join(dir, 'state', 'agent.db'), { readonly: true });
    try {
      const headOf = () => (db.prepare('SELECT seq FROM lineage_head WHERE id = 1').get() as { seq: number }).seq;
      const before = headOf();
      const text = await (await fetch(`${url}/metrics`)).text();
      const after = headOf();
      const head = metric(text, 'place_agent_chain_head_seq');
      expect(head).toBeGreaterThanOrEqual(before);
      expect(head).toBeLessThanOrEqual(after);
      expect(metric(text, 'place_agent_readings_total', 'source="sim-gnss"')).toBeGreaterThan(0);
      expect(metric(text, 'place_agent_broker_connection_state', 'state="connected"')).toBe(1);
      const envelopes = (db.prepare("SELECT COUNT(*) AS n FROM observations WHERE kind = 'envelope'").get() as { n: number }).n;
      // The counter starts with the operations endpoint, after the agent's first commits.
      expect(metric(text, 'place_agent_observations_signed_total', 'kind="envelope"')).toBeLessThanOrEqual(envelopes + 1);
      // The software key's self-check ran on the chain's signatures (a few at a time: all checked) and repaired none.
      expect(metric(text, 'place_agent_signature_self_checks_total')).toBeGreaterThan(0);
      expect(metric(text, 'place_agent_signature_self_checks_total')).toBeLessThanOrEqual(after);
      expect(metric(text, 'place_agent_signature_repairs_total')).toBe(0);

      const health = (await (await fetch(`${url}/healthz`)).json()) as { healthy: boolean; sources: Record<string, { state: string }> };
      expect(health.healthy).toBe(true);
      expect(Object.keys(health.sources).sort()).toEqual(['sim-ais', 'sim-gnss', 'sim-range']);

      const r = await runAgent(['status', '--url', url, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const st = JSON.parse(r.stdout) as { chain: { headSeq: number }; agent: { place: string }; outbox: { broker: string } };
      expect(st.agent.place).toBe('urn:place:DEMO:berth:1');
      expect(st.chain.headSeq).toBeGreaterThanOrEqual(after);
      expect(st.outbox.broker).toBe('connected');
    } finally {
      db.close();
    }
  });

  it('says STOPPING and exits 0 on SIGTERM', async () => {
    const from = notify.lines.length;
    agent.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => agent.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    await notify.waitFor((l) => datagram(l).startsWith('STOPPING=1'), from);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { renderStatusLines, runStatusCommand, fetchStatus, StatusScreen } from '../../agent/ops/status-view.ts';
import { createProgress } from '../../agent/ops/progress.ts';
import { startOpsServer, type OpsServer } from '../../agent/ops/http.ts';
import { MetricsRegistry } from '../../agent/ops/metrics.ts';
import { buildHealthReport } from '../../agent/ops/health.ts';
import { sampleStatus, NOW } from './fixtures/status-sample.ts';

class Sink {
  text = '';
  constructor(readonly isTTY = false, readonly columns = 100) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('status view', () => {
  it('shows sources and health, last readings, outbox lag, chain head, credential and time', () => {
    const lines = renderStatusLines(sampleStatus());
    const text = lines.join('\n');
    expect(lines[0]).toBe('place-agent 0.1.0  urn:place:DEHAM:berth:42  live  up 2h03m  pid 4242');
    expect(text).toContain('SOURCES (1/2 up)');
    expect(text).toMatch(/gnss\s+up\s+53\.54610N 9\.96610E hdop 0\.9 \(1\.0 s ago\)\s+7190 readings/);
    expect(text).toMatch(/rfid0\s+down\s+1m35s ago\s+31 readings, 2 errors, 17 B discarded, port \/dev\/place\/rfid0 gone/);
    expect(text).toContain('OUTBOX      depth 12  delivery lag 3m04s  broker disconnected mqtts://broker.deham.example:8883');
    expect(text).toContain('CHAIN       head seq 10234  epoch 17  head 9f86d081884c7d65…');
    expect(text).toContain('CREDENTIAL  valid until 2025-06-30 12:00:00Z (29d00h left)  urn:place:DEHAM:berth:42');
    expect(text).toContain('TIME        gnss synchronised  ±3 ms  offset +0.4 ms');
    expect(text).not.toContain('\x1b[');
    expect(text).not.toContain('ERRORS');
  });

  it("shows the agent's own non-zero error counts on one line, by component", () => {
    const s = sampleStatus();
    s.errors = { agent: { GRANT_SIGNATURE_INVALID: 2, OUTBOX_PRESSURE: 40 }, log: { OBS_TOO_LARGE: 1 } };
    const lines = renderStatusLines(s);
    expect(lines.at(-1)).toBe('ERRORS      agent GRANT_SIGNATURE_INVALID 2, OUTBOX_PRESSURE 40  log OBS_TOO_LARGE 1');
    // The lines before it are the view without errors, unchanged.
    expect(lines.slice(0, -1)).toEqual(renderStatusLines(sampleStatus()));
    s.errors = { agent: {} };
    expect(renderStatusLines(s)).toEqual(renderStatusLines(sampleStatus()));
  });

  it('says so when the credential is invalid and the outbox is empty', () => {
    const s = sampleStatus({ outboxDepth: 0 });
    s.credential = { valid: false, detail: 'expired 2025-05-30' };
    const text = renderStatusLines(s).join('\n');
    expect(text).toContain('CREDENTIAL  INVALID: expired 2025-05-30');
    expect(text).toContain('depth 0  delivery lag 0.0 s');
  });

  it('redraws in place on a terminal and appends in a pipe', () => {
    const tty = new Sink(true);
    const screen = new StatusScreen(tty);
    screen.draw(['a', 'b']);
    screen.draw(['c']);
    screen.end();
    expect(tty.text).toBe('\x1b[?25l\x1b[H\x1b[2Ja\x1b[K\nb\x1b[K\n\x1b[J\x1b[Hc\x1b[K\n\x1b[J\x1b[?25h');
    const pipe = new Sink(false);
    const plain = new StatusScreen(pipe);
    plain.draw(['a']);
    plain.draw(['b']);
    expect(pipe.text).toBe('a\nb\n');
  });

  it('status --json prints the agent snapshot from /status.json', async () => {
    const server = await startOpsServer({ port: 0, registry: new MetricsRegistry(), health: () => buildHealthReport([], [], NOW), status: () => sampleStatus({ outboxDepth: 5 }) });
    servers.push(server);
    const out = new Sink(true);
    const err = new Sink();
    expect(await runStatusCommand({ url: server.url, json: true, out, err })).toBe(0);
    const parsed = JSON.parse(out.text) as ReturnType<typeof sampleStatus>;
    expect(parsed).toEqual(sampleStatus({ outboxDepth: 5 }));
    expect(err.text).toBe('');
    expect((await fetchStatus(`${server.url}/status.json`)).chain.headSeq).toBe(10234);
  });

  it('status in a pipe prints one plain snapshot; an unreachable agent exits 3 with a coded message', async () => {
    const server = await startOpsServer({ port: 0, registry: new MetricsRegistry(), health: () => buildHealthReport([], [], NOW), status: () => sampleStatus() });
    servers.push(server);
    const out = new Sink(false);
    expect(await runStatusCommand({ url: server.url, out, err: new Sink() })).toBe(0);
    expect(out.text).toContain('OUTBOX      depth 12');
    expect(out.text).not.toContain('\x1b[');
    const url = server.url;
    await server.close();
    servers.length = 0;
    const err = new Sink();
    expect(await runStatusCommand({ url, once: true, out: new Sink(), err })).toBe(3);
    expect(err.text).toContain(`place-agent: OPS_STATUS_UNREACHABLE: cannot reach the agent at ${url}/status.json`);
  });
});

describe('progress', () => {
  it('prints a plain line per tenth outside a terminal', () => {
    const out = new Sink(false);
    let t = 0;
    const p = createProgress(20, 'verifying chain', { out, now: () => t });
    for (let i = 0; i < 20; i++) {
      t += 100;
      p.tick();
    }
    p.finish();
    const lines = out.text.trimEnd().split('\n');
    expect(lines[0]).toBe('verifying chain: 1/20 (5%)');
    expect(lines[1]).toBe('verifying chain: 2/20 (10%)');
    expect(lines).toContain('verifying chain: 10/20 (50%)');
    expect(lines.at(-2)).toBe('verifying chain: 20/20 (100%)');
    expect(lines.at(-1)).toBe('verifying chain: done, 20/20 in 2.0 s');
    expect(lines).toHaveLength(12);
  });

  it('draws a bar with carriage returns on a terminal', () => {
    const out = new Sink(true, 80);
    let t = 0;
    const p = createProgress(4, 'export', { out, now: () => t });
    t = 1000;
    p.tick();
    expect(out.text).toBe(`\rexport [${'#'.repeat(9)}${'-'.repeat(25)}]  25% 1/4 eta 3.0 s\x1b[K`);
  });
});

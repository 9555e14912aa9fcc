import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../agent/ops/metrics.ts';
import { AgentMetrics } from '../../agent/ops/agent-metrics.ts';
import { startOpsServer, type OpsServer } from '../../agent/ops/http.ts';
import { buildHealthReport } from '../../agent/ops/health.ts';
import type { SourceHealth } from '../../core/reading.ts';
import { sampleStatus, NOW } from './fixtures/status-sample.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { readErrorCounts } from '../../agent/runtime/status-port.ts';

/** Parses exposition text into "name{labels}" -> value, checking each sample line's shape. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    samples.set(m[1]!, m[2] === '+Inf' ? Infinity : Number(m[2]));
  }
  return samples;
}

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('Prometheus text exposition', () => {
  it('renders counters with escaped labels and HELP, and cumulative histogram buckets', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('demo_events_total', 'Events.\nSecond line with a \\ backslash.', ['port']);
    c.inc({ port: 'a"b\\c\nd' }, 2);
    const h = r.histogram('demo_latency_seconds', 'Latency.', [], [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe(undefined, v);
    const text = await r.expose();
    expect(text).toContain('# HELP demo_events_total Events.\\nSecond line with a \\\\ backslash.\n# TYPE demo_events_total counter\n');
    expect(text).toContain('demo_events_total{port="a\\"b\\\\c\\nd"} 2\n');
    expect(text).toContain(
      ['demo_latency_seconds_bucket{le="0.1"} 2', 'demo_latency_seconds_bucket{le="1"} 3', 'demo_latency_seconds_bucket{le="+Inf"} 4', 'demo_latency_seconds_sum 3.65', 'demo_latency_seconds_count 4'].join('\n'),
    );
    expect(text.endsWith('\n')).toBe(true);
  });

  it('exports a counter or histogram without labels from zero, before it first moves', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('demo_restarts_total', 'Restarts.');
    r.histogram('demo_wait_seconds', 'Wait.', [], [1]);
    r.counter('demo_by_port_total', 'By port.', ['port']);
    const before = await r.expose();
    expect(before).toMatch(/^demo_restarts_total 0$/m);
    expect(before).toMatch(/^demo_wait_seconds_count 0$/m);
    expect(before).not.toMatch(/^demo_by_port_total/m); // a labelled series exists once its label value does
    c.inc();
    expect(await r.expose()).toMatch(/^demo_restarts_total 1$/m);
  });

  it('refuses a counter going down, a wrong label set and a duplicate name', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'x', ['a']);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/only go up/);
    expect(() => c.inc({ a: '1', b: '2' } as never)).toThrow(/takes labels/);
    expect(() => r.gauge('x_total', 'again')).toThrow(/registered twice/);
    c.setTotal({ a: '1' }, 5);
    c.setTotal({ a: '1' }, 3);
    expect(c.get({ a: '1' })).toBe(5);
  });
});

describe('ops endpoint', () => {
  const gnss: SourceHealth = { source: 'gnss', state: 'up', lastReadingAt: NOW - 500, readings: 120, errors: { NMEA_CHECKSUM: 3 }, discardedBytes: 41 };
  const rfid: SourceHealth = { source: 'rfid0', state: 'up', lastReadingAt: NOW - 2_000, readings: 7, errors: {}, discardedBytes: 0 };

  it('serves /metrics with the values the runtime recorded', async () => {
    const m = new AgentMetrics({ version: '0.1.0', startedAtMs: NOW - 60_000 });
    const sources = [gnss, rfid];
    m.watchSources(() => sources, () => NOW);
    for (let i = 1; i <= 5; i++) m.observationSigned('envelope', i, 3);
    m.observationSigned('presence', 6, 3);
    m.signerLatencySeconds('tpm', 0.04);
    m.signerLatencySeconds('tpm', 0.06);
    m.outbox(4, 95);
    m.delivered(0.02);
    m.delivered(7);
    m.brokerState('connected');
    m.tpmState('ok');
    m.timeQuality({ src: 'gnss', sync: true, errMs: 3, offsetMs: -12 });
    m.budgetSuspension('unit');
    m.budgetSuspension('unit');
    m.decodeError('mcu', 'UART_CRC');
    const server = await startOpsServer({ port: 0, registry: m.registry, health: () => buildHealthReport(sources, [], NOW) });
    servers.push(server);

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const s = parse(await res.text());
    const expected: Record<string, number> = {
      'place_agent_readings_total{source="gnss"}': 120,
      'place_agent_readings_total{source="rfid0"}': 7,
      'place_agent_decode_errors_total{port="gnss",code="NMEA_CHECKSUM"}': 3,
      'place_agent_decode_errors_total{port="mcu",code="UART_CRC"}': 1,
      'place_agent_discarded_bytes_total{port="gnss"}': 41,
      'place_agent_source_state{source="gnss",state="up"}': 1,
      'place_agent_source_state{source="gnss",state="down"}': 0,
      'place_agent_source_last_reading_age_seconds{source="rfid0"}': 2,
      'place_agent_observations_signed_total{kind="envelope"}': 5,
      'place_agent_observations_signed_total{kind="presence"}': 1,
      place_agent_chain_head_seq: 6,
      place_agent_chain_epoch: 3,
      place_agent_outbox_depth: 4,
      place_agent_outbox_oldest_undelivered_age_seconds: 95,
      place_agent_observations_delivered_total: 2,
      'place_agent_publish_latency_seconds_bucket{le="0.025"}': 1,
      'place_agent_publish_latency_seconds_bucket{le="5"}': 1,
      'place_agent_publish_latency_seconds_bucket{le="10"}': 2,
      place_agent_publish_latency_seconds_count: 2,
      'place_agent_signer_latency_seconds_count{signer="tpm"}': 2,
      'place_agent_signer_latency_seconds_bucket{signer="tpm",le="0.05"}': 1,
      'place_agent_broker_connection_state{state="connected"}': 1,
      'place_agent_broker_connection_state{state="disconnected"}': 0,
      'place_agent_tpm_state{state="ok"}': 1,
      'place_agent_time_source{src="gnss"}': 1,
      'place_agent_time_source{src="none"}': 0,
      place_agent_time_synchronized: 1,
      place_agent_time_offset_seconds: -0.012,
      place_agent_time_error_seconds: 0.003,
      'place_agent_budget_suspensions_total{scope="unit"}': 2,
      place_agent_start_time_seconds: (NOW - 60_000) / 1000,
    };
    for (const [k, v] of Object.entries(expected)) expect([k, s.get(k)]).toEqual([k, v]);

    // A later scrape reflects what happened since: the source kept counting.
    sources[0] = { ...gnss, readings: 150 };
    m.outbox(0, 0);
    const again = parse(await (await fetch(`${server.url}/metrics`)).text());
    expect(again.get('place_agent_readings_total{source="gnss"}')).toBe(150);
    expect(again.get('place_agent_outbox_depth')).toBe(0);
  });

  it("exports the agent's own error counters as place_agent_errors_total by component and code, scrape after scrape", async () => {
    // The counters the running agent keeps, as the composition root hands them over: snapshots only.
    const agent = new ErrorCounter<'GRANT_SIGNATURE_INVALID' | 'OUTBOX_PRESSURE'>();
    const log = new ErrorCounter<'OBS_TOO_LARGE'>();
    const publisher = new ErrorCounter<'MQTT_PUBLISH_REJECTED'>();
    const signer = new ErrorCounter<'SIGN_SELF_CHECK_FAILED'>();
    const m = new AgentMetrics({ version: '0.1.0', startedAtMs: NOW });
    m.watchErrors(() => readErrorCounts({ agent: () => agent.snapshot(), log: () => log.snapshot(), publisher: () => publisher.snapshot(), signer: () => signer.snapshot() }));
    const server = await startOpsServer({ port: 0, registry: m.registry, health: () => buildHealthReport([], [], NOW) });
    servers.push(server);

    agent.count('GRANT_SIGNATURE_INVALID', 2);
    agent.count('OUTBOX_PRESSURE', 40);
    log.count('OBS_TOO_LARGE');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^# HELP place_agent_errors_total .*agent .*log .*publisher .*signer/m);
    expect(text).toMatch(/^# TYPE place_agent_errors_total counter$/m);
    const s = parse(text);
    expect(s.get('place_agent_errors_total{component="agent",code="GRANT_SIGNATURE_INVALID"}')).toBe(2);
    expect(s.get('place_agent_errors_total{component="agent",code="OUTBOX_PRESSURE"}')).toBe(40);
    expect(s.get('place_agent_errors_total{component="log",code="OBS_TOO_LARGE"}')).toBe(1);
    // A component that counted nothing has no series yet.
    expect([...s.keys()].filter((k) => k.includes('component="publisher"') || k.includes('component="signer"'))).toEqual([]);

    log.count('OBS_TOO_LARGE', 2);
    publisher.count('MQTT_PUBLISH_REJECTED');
    signer.count('SIGN_SELF_CHECK_FAILED');
    const again = parse(await (await fetch(`${server.url}/metrics`)).text());
    expect(again.get('place_agent_errors_total{component="log",code="OBS_TOO_LARGE"}')).toBe(3);
    expect(again.get('place_agent_errors_total{component="publisher",code="MQTT_PUBLISH_REJECTED"}')).toBe(1);
    expect(again.get('place_agent_errors_total{component="signer",code="SIGN_SELF_CHECK_FAILED"}')).toBe(1);
    expect(again.get('place_agent_errors_total{component="agent",code="OUTBOX_PRESSURE"}')).toBe(40);
  });

  it('answers /healthz 200 with per-source status while healthy and 503 once a source is down', async () => {
    const sources: SourceHealth[] = [gnss, rfid];
    const probes = [{ name: 'signer', ok: true }];
    const server = await startOpsServer({ port: 0, registry: new MetricsRegistry(), health: () => buildHealthReport(sources, probes, NOW) });
    servers.push(server);

    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    const okBody = (await ok.json()) as { healthy: boolean; sources: Record<string, { state: string; ageMs: number; errors: Record<string, number> }> };
    expect(okBody.healthy).toBe(true);
    expect(okBody.sources.gnss).toMatchObject({ state: 'up', ageMs: 500, errors: { NMEA_CHECKSUM: 3 } });

    sources[1] = { ...rfid, state: 'down', detail: 'ENOENT /dev/place/rfid0' };
    const down = await fetch(`${server.url}/healthz`);
    expect(down.status).toBe(503);
    const downBody = (await down.json()) as { healthy: boolean; summary: string };
    expect(downBody.healthy).toBe(false);
    expect(downBody.summary).toBe('rfid0 down (ENOENT /dev/place/rfid0)');

    sources[1] = rfid;
    probes[0] = { name: 'signer', ok: false, detail: 'no answer within 5000 ms' } as never;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });

  it('serves /status.json from the provider, 404 on unknown paths and 405 on writes', async () => {
    let depth = 3;
    const server = await startOpsServer({ port: 0, registry: new MetricsRegistry(), health: () => buildHealthReport([], [], NOW), status: () => sampleStatus({ outboxDepth: depth }) });
    servers.push(server);
    expect(((await (await fetch(`${server.url}/status.json`)).json()) as { outbox: { depth: number } }).outbox.depth).toBe(3);
    depth = 9;
    expect(((await (await fetch(`${server.url}/status.json`)).json()) as { outbox: { depth: number } }).outbox.depth).toBe(9);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

/**
 * The signing self-check on /metrics: a software key's SigningPool that catches damaged
 * signatures (fault injection) and makes them again, or refuses a batch it cannot make good,
 * shows it in place_agent_signature_repairs_total, place_agent_signature_batches_refused_total
 * and place_agent_signature_self_checks_total, scraped over HTTP as Prometheus would; the
 * counts survive the signer's pool being closed and started again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../../agent/ops/agent-metrics.ts';
import { startOpsServer, type OpsServer } from '../../agent/ops/http.ts';
import { buildHealthReport } from '../../agent/ops/health.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { readErrorCounts } from '../../agent/runtime/status-port.ts';

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c();
});

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, value] = line.split(' ');
    out.set(name!, Number(value));
  }
  return out;
}

const messages = (n: number, tag: string): Uint8Array[] => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${tag} ${i}`));

describe('signing self-check metrics', () => {
  it('counts repaired signatures and refused batches of the signing pool on /metrics', async () => {
    const signer = SoftwareSigner.generate();
    closing.push(() => signer.close());
    // Which message indexes of the next batch to damage, and on which attempts (0 the pool's, 1 the re-sign).
    let damage: { at: Set<number>; attempts: (0 | 1)[] } = { at: new Set(), attempts: [] };
    signer.configurePool({ maxThreads: 2, inlineBelow: 32, check: 'all', faults: (i, attempt) => damage.at.has(i) && damage.attempts.includes(attempt) });
    const m = new AgentMetrics({ version: '0.1.0', startedAtMs: Date.now() });
    m.watchSignerSelfCheck(() => signer.selfCheckStats());
    m.watchErrors(() => readErrorCounts({ signer: () => signer.errorCounts() }));
    const server: OpsServer = await startOpsServer({ port: 0, registry: m.registry, health: () => buildHealthReport([], [], Date.now()) });
    closing.push(() => server.close());

    let s = await scrape(server.url);
    expect([s.get('place_agent_signature_repairs_total'), s.get('place_agent_signature_batches_refused_total'), s.get('place_agent_signature_self_checks_total')]).toEqual([0, 0, 0]);

    // Three signatures damaged in a threaded batch and one in a small batch signed on the calling thread: all made good.
    damage = { at: new Set([3, 50, 99]), attempts: [0] };
    await signer.signMany(messages(100, 'big'));
    damage = { at: new Set([2]), attempts: [0] };
    await signer.signMany(messages(5, 'small'));
    // One damaged on both attempts: the batch is refused.
    damage = { at: new Set([7]), attempts: [0, 1] };
    await expect(signer.signMany(messages(64, 'refused'))).rejects.toMatchObject({ code: 'SIGN_SELF_CHECK_FAILED' });

    s = await scrape(server.url);
    expect(s.get('place_agent_signature_repairs_total')).toBe(4);
    expect(s.get('place_agent_signature_batches_refused_total')).toBe(1);
    // Every signature of the three batches was checked: 100 + 5 + 64.
    expect(s.get('place_agent_signature_self_checks_total')).toBe(169);
    // Each failed self-check is an error of the signer's, under its code: the four repaired and the refused batch's one.
    expect(s.get('place_agent_errors_total{component="signer",code="SIGN_SELF_CHECK_FAILED"}')).toBe(5);

    // The pool stops at close and a later batch starts another: the counters do not go back.
    await signer.close();
    damage = { at: new Set([1]), attempts: [0] };
    await signer.signMany(messages(40, 'after'));
    s = await scrape(server.url);
    expect(s.get('place_agent_signature_repairs_total')).toBe(5);
    expect(s.get('place_agent_signature_batches_refused_total')).toBe(1);
    expect(s.get('place_agent_errors_total{component="signer",code="SIGN_SELF_CHECK_FAILED"}')).toBe(6);
  });
});

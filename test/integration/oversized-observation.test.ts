/**
 * An observation over the 16 KiB every verifier accepts (DESIGN.md, wire contract v1), made by
 * the running binary: a site that declares 250 constant custom dimensions gets an envelope of
 * about 24 KB. It is never signed; its submitter is told OBS_TOO_LARGE (logged with the code),
 * a signed `gap` {reason: too-large, kind, bytes} takes its seq, and the agent goes on: later
 * observations (a checkpoint) commit, the chain has no hole, and everything on it verifies.
 * An operator sees the refusals counted: place_agent_errors_total{component="log",
 * code="OBS_TOO_LARGE"} on /metrics, one per gap, and the same count in /status.json and on
 * `place-agent status`'s ERRORS line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, waitFor } from './agent-process.ts';
import { signedObservations, unverified } from '../support/place-gateway.ts';
import { PlaceRig } from '../../hil/place-rig.ts';
import { freePort } from '../../hil/ports.ts';
import type { AgentStatus } from '../../agent/ops/status.ts';

const PLACE = 'urn:place:DEHAM:berth:9';
/** 32 characters each, the longest id the schema allows: about 98 bytes per dimension in the envelope body. */
const DIMS = Array.from({ length: 250 }, (_, i) => `capacity_point_${String(i).padStart(3, '0')}_abcdefghijklm`);

describe('an observation too large to sign, in the running binary', () => {
  let rig: PlaceRig;

  beforeAll(async () => {
    rig = await PlaceRig.start('too-large', PLACE);
  }, 60_000);

  afterAll(() => rig?.close());

  it('refuses it with OBS_TOO_LARGE, signs a too-large gap in its seq, and goes on signing', async () => {
    await rig.provision('urn:place-authority:big');
    const ops = `http://127.0.0.1:${await freePort()}`;
    const cfg = await rig.configure('gateway.yaml', {
      lineage: { checkpointEvery: 10 },
      envelope: { intervalSeconds: 1, placeType: 'custom', dims: Object.fromEntries(DIMS.map((d, i) => [d, { value: i + 0.5, unit: 'kW' }])) },
      metrics: { listen: ops.slice('http://'.length) },
    });
    const agent = rig.run(cfg);
    const db = rig.db;
    const signed = () => signedObservations(db);
    const gaps = () => signed().filter((o) => o.kind === 'gap' && o.body.reason === 'too-large');

    // Ten observations after start (the start status and the gaps) bring a checkpoint: the
    // agent is not stuck behind the observation it could not sign.
    await waitFor(() => signed().some((o) => o.kind === 'checkpoint'), 60_000, 'a checkpoint after the refused envelopes');
    expect(signed().some((o) => o.kind === 'envelope')).toBe(false);
    const first = gaps()[0]!;
    expect(first.body).toMatchObject({ reason: 'too-large', kind: 'envelope' });
    expect(first.body.bytes as number).toBeGreaterThan(16 * 1024);
    expect(first.body.bytes as number).toBeLessThan(32 * 1024);
    // The submitter (the envelope emitter) was told, under the code.
    expect(agent.stderr()).toMatch(/OBS_TOO_LARGE/);

    // Counted where an operator looks: each refusal is one count, and each count got its gap.
    const committedGaps = gaps().length;
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    const counted = Number(/^place_agent_errors_total\{component="log",code="OBS_TOO_LARGE"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    expect(counted).toBeGreaterThanOrEqual(committedGaps);
    await waitFor(() => gaps().length >= counted, 30_000, `a gap for each of the ${counted} counted refusals`);
    const status = (await (await fetch(`${ops}/status.json`)).json()) as AgentStatus;
    expect(status.errors?.log?.OBS_TOO_LARGE).toBeGreaterThanOrEqual(counted);
    const view = await runAgent(['status', '--url', ops, '--once']);
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toMatch(/^ERRORS {6}.*log OBS_TOO_LARGE [1-9]\d*/m);

    // The gaps take the seqs the envelopes would have had: no hole, all signed and verifying.
    const seqs = signed().map((o) => o.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(unverified(db, rig.anchor)).toEqual([]);

    agent.proc.kill('SIGTERM');
    expect(await agent.exited, agent.stderr()).toBe(0);
  }, 120_000);
});

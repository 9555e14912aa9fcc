/**
 * A wall-clock step (NTP correction, RTC set by hand) recorded as a signed `time` observation
 * (DESIGN.md, "Failure semantics": a bad clock never stops signing; a later `time` observation
 * records the correction; sequence, not wall time, orders the chain). A real PlaceAgent with a
 * software key, a file epoch counter, a store on disk and the in-process broker is given a clock
 * that runs with the monotonic clock plus an offset the test moves; the machine's clock is never
 * touched. The agent looks for steps on its 1 s presence tick, so this file runs on real time
 * (about five seconds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../agent/runtime/embedded-broker.ts';
import { ObservationVerifier, type ObservationClaims } from '../../agent/verify/observation-verifier.ts';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { NOW, PLACE, makeChain, type Chain } from '../unit/authority-fixture.ts';

/** Wall time that runs at the rate of the monotonic clock, plus whatever steps the test applies. */
class SteppingClock implements Clock {
  private readonly t0 = performance.now();
  private offset = 0;
  constructor(private readonly base: number) {}
  now(): number {
    return Math.floor(this.base + (performance.now() - this.t0) + this.offset);
  }
  step(ms: number): void {
    this.offset += ms;
  }
}

const FORWARD = 5 * 60_000;
const BACKWARD = -2 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = (cond: () => boolean, what: string, ms = 8000) => waitFor(cond, ms, what);

describe('a wall-clock step', () => {
  let dir: string;
  let authority: Chain;
  let broker: EmbeddedBroker;
  let running: ChainAgent;
  let sub: mqtt.MqttClient;
  const clock = new SteppingClock(NOW * 1000);
  const published = new Map<string, Buffer>();
  const problems: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (m, f) => void problems.push(`warn ${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => void problems.push(`error ${m} ${JSON.stringify(f ?? {})}`),
    child: () => logger,
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-clock-step-'));
    authority = await makeChain();
    broker = await startEmbeddedBroker(0);
    sub = await mqtt.connectAsync(broker.url, { clientId: 'clock-step-observer', clean: true });
    await sub.subscribeAsync(observationTopic(PLACE, 'time'), { qos: 1 });
    sub.on('message', (_topic, payload) => published.set(Buffer.from(payload).toString('hex'), payload));
    // Envelopes on a timer far beyond the test, so the chain holds what the steps cause.
    running = chainAgent({ chain: authority, db: join(dir, 'agent.db'), clock, logger, clientId: 'clock-step-agent', brokerUrl: broker.url, protocolVersion: 4, envelopeMs: 3_600_000 });
    await running.agent.start();
  });

  afterAll(async () => {
    await running?.stop();
    await sub?.endAsync();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const timeObservations = () => running.committed.filter((o) => o.kind === 'time');

  it('signs a `time` observation for a step forward and one for a step back, and none while the clock runs smoothly', async () => {
    // Two presence ticks: the first takes the reference, the second sees a clock that kept pace.
    await sleep(2200);
    expect(timeObservations()).toEqual([]);

    clock.step(FORWARD);
    await until(() => timeObservations().length === 1, 'the time observation of the forward step');
    clock.step(BACKWARD);
    await until(() => timeObservations().length === 2, 'the time observation of the backward step');
    // A further tick after the steps: the agent took the stepped clock as its new reference.
    await sleep(1200);
    expect(timeObservations()).toHaveLength(2);
    await until(() => published.size === 2, 'both time observations on the broker', 5000);
    expect(problems).toEqual([]);
    expect(running.agent.errors.snapshot()).toEqual({});
    expect(running.agent.log.errors.snapshot()).toEqual({});
  });

  it('states the step in the signed body, verifies with the trust anchor, and keeps one unbroken chain', async () => {
    const verifier = new ObservationVerifier([authority.anchor]);
    const lineage = new LineageVerifier();
    const stored = [...running.store.observations()];
    expect(stored.map((o) => o.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    const claims: ObservationClaims[] = [];
    for (const o of stored) {
      const r = verifier.check(o.bytes);
      if (!r.ok) expect.fail(`seq ${o.seq}: ${r.code} ${r.reason}`);
      expect(lineage.add(r.claims, r.hash)).toEqual([]);
      claims.push(r.claims);
    }

    const times = claims.filter((c) => c.kind === 'time');
    expect(times).toHaveLength(2);
    for (const [c, step] of [
      [times[0]!, FORWARD],
      [times[1]!, BACKWARD],
    ] as const) {
      const body = Object.fromEntries(c.body) as { event: unknown; step_ms: number; before: number; after: number };
      expect(body.event).toBe('clock-step');
      // The clock and the agent read the monotonic clock microseconds apart, and both round to ms.
      expect(Math.abs(body.step_ms - step)).toBeLessThanOrEqual(3);
      expect(Math.abs(body.after - body.before - body.step_ms)).toBeLessThanOrEqual(1);
      // Signed at the stepped time: `after` is the wall clock the observation itself carries.
      expect(c.t - body.after).toBeGreaterThanOrEqual(0);
      expect(c.t - body.after).toBeLessThan(100);
    }

    // Wall time in the chain goes back at the second step, yet seq order and links hold.
    const tBack = times[1]!.t;
    const tForward = times[0]!.t;
    expect(tBack).toBeLessThan(tForward);
    expect(times[1]!.seq).toBeGreaterThan(times[0]!.seq);

    // What went to the broker is the signed bytes that were committed.
    const storedHex = new Set(stored.filter((o) => o.kind === 'time').map((o) => Buffer.from(o.bytes).toString('hex')));
    expect(new Set(published.keys())).toEqual(storedHex);
  });
});

describe('a wall-clock step right after start', () => {
  it('is recorded even before the first presence tick (the baseline is taken at start)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-clock-early-'));
    const authority = await makeChain();
    const broker = await startEmbeddedBroker(0);
    const clock = new SteppingClock(NOW * 1000);
    const { agent, committed, stop } = chainAgent({ chain: authority, db: join(dir, 'agent.db'), clock, clientId: 'clock-early-agent', brokerUrl: broker.url, protocolVersion: 4, envelopeMs: 3_600_000 });
    try {
      await agent.start();
      clock.step(FORWARD);
      await until(() => committed.some((o) => o.kind === 'time'), 'the time observation of a step before the first tick', 5000);
      expect(committed.filter((o) => o.kind === 'time')).toHaveLength(1);
    } finally {
      await stop();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

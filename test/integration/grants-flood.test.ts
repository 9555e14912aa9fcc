/**
 * Hostile data on the grants topic (DESIGN.md: inbound signed objects bounded at 16 KiB before
 * decoding; bad input counted, never a crash): a real PlaceAgent on a real mosquitto (MQTT 5,
 * maximumPacketSize advertised) is sent a 2 MB retained "grant", a deeply nested CBOR item, a
 * burst of grants from a foreign authority on one topic, and then a valid grant. The agent keeps
 * signing throughout, its heap stays bounded, the valid grant is accepted and answered on the
 * chain, and nothing is attested for the bogus ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Clock } from '../../core/clock.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { issueGrant } from '../../agent/authority/grant.ts';
import { grantTopic } from '../../agent/transport/topics.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { NOW, PLACE, makeChain, type Chain } from '../unit/authority-fixture.ts';

/** The fixture's credentials are valid around NOW: a clock that starts there and runs. */
const t0 = performance.now();
const clock: Clock = { now: () => Math.floor(NOW * 1000 + (performance.now() - t0)) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (cond: () => boolean, what: string, ms = 15_000) => waitFor(cond, ms, what);

describe('hostile grants topic', () => {
  let dir: string;
  let chain: Chain; // root -> authority (grantor) -> gateway
  let foreign: Chain;
  let broker: Mosquitto;
  let running: ChainAgent;
  let pub: mqtt.MqttClient;
  let committed: ChainAgent['committed'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-flood-'));
    chain = await makeChain([{}, { level: 'authority', depth: 1, subject: 'urn:authority:grantor' }, {}]);
    foreign = await makeChain([{}, { level: 'authority', depth: 0, subject: 'urn:authority:stranger' }]);
    broker = await startMosquitto();
    running = chainAgent({ chain, db: join(dir, 'agent.db'), clock, clientId: 'flood-agent', brokerUrl: broker.url });
    committed = running.committed;
    await running.agent.start();
    pub = await mqtt.connectAsync(broker.url, { clientId: 'flood-attacker', protocolVersion: 5 });
  });

  afterAll(async () => {
    await running?.stop();
    await pub?.endAsync();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives a 2 MB and a deeply nested message and a burst of foreign grants, keeps signing, and still accepts a valid grant', async () => {
    await until(() => committed.length > 3, 'the agent to sign');
    const heapBefore = process.memoryUsage().heapUsed;
    const before = committed.length;

    // 2 MB of a tagged COSE_Sign1 head followed by junk, retained.
    const big = Buffer.alloc(2 * 1024 * 1024, 0x41);
    big[0] = 0xd2;
    big[1] = 0x84;
    await pub.publishAsync(grantTopic(PLACE, 'R-big'), big, { qos: 1, retain: true });
    // 12,000 nested one-element arrays inside a tag 18: under 16 KiB, far past the decoder's depth.
    const deep = Buffer.concat([Buffer.from([0xd2]), Buffer.alloc(12_000, 0x81), Buffer.from([0x00])]);
    await pub.publishAsync(grantTopic(PLACE, 'R-deep'), deep, { qos: 1 });
    // A burst from an authority the gateway does not trust, all on one topic.
    const w: [number, number] = [clock.now() + 60_000, clock.now() + 600_000];
    for (let i = 0; i < 40; i++) {
      const g = await issueGrant({ issuer: 'urn:authority:stranger', place: PLACE, reservation: 'R-x', unit: ['mmsi', String(i)], window: w, toleranceM: 50, graceMs: 60_000, nowMs: clock.now() }, foreign.leaf.signer, foreign.leaf.bytes, foreign.parents);
      await pub.publishAsync(grantTopic(PLACE, 'R-x'), Buffer.from(g), { qos: 1 });
    }
    // Then a valid grant from the gateway's own authority.
    const good = await issueGrant(
      { issuer: 'urn:authority:grantor', place: PLACE, reservation: 'R-ok', unit: ['mmsi', '211331640'], window: w, toleranceM: 50, graceMs: 60_000, nowMs: clock.now() },
      chain.links[1]!.signer,
      chain.links[1]!.bytes,
      [chain.links[0]!.bytes],
    );
    await pub.publishAsync(grantTopic(PLACE, 'R-ok'), Buffer.from(good), { qos: 1, retain: true });

    const answers = () =>
      committed
        .filter((o) => o.kind === 'reservation')
        .map((o) => new ObservationVerifier([chain.anchor]).check(o.bytes))
        .flatMap((r) => (r.ok ? [r.claims.body] : []));
    await until(() => answers().some((b) => b.get('event') === 'grant-accepted' && b.get('reservation') === 'R-ok'), 'the valid grant to be accepted on the chain');

    // Kept signing: envelopes every 100 ms went on during and after the flood.
    const n = committed.length;
    await sleep(1000);
    expect(committed.length).toBeGreaterThan(n + 3);
    expect(n).toBeGreaterThan(before);
    // The deep item was refused with a code; the 2 MB one never reached the agent (the broker
    // honours maximumPacketSize) or was refused undecoded.
    const errors = running.agent.errors.snapshot();
    expect(Object.keys(errors).some((c) => c.startsWith('COSE_') || c.startsWith('CBOR_') || c === 'GRANT_MALFORMED')).toBe(true);
    expect(errors.GRANT_TOO_LARGE ?? 0).toBeLessThanOrEqual(1);
    // The foreign burst: refused (chain to an unknown anchor) or rate-limited, each counted; only
    // a bounded number of them verified, and one refusal answered per distinct grant at most.
    expect((errors.CHAIN_UNKNOWN_ANCHOR ?? 0) + (errors.GRANT_RATE_LIMITED ?? 0)).toBe(40);
    expect(errors.CHAIN_UNKNOWN_ANCHOR ?? 0).toBeLessThan(20);
    const refused = answers().filter((b) => b.get('event') === 'grant-refused');
    expect(refused.every((b) => b.get('reason') === 'CHAIN_UNKNOWN_ANCHOR')).toBe(true);
    // Nothing attested for any of it.
    expect(committed.filter((o) => o.kind === 'presence')).toEqual([]);
    // Heap: the 2 MB message is not held, decoded or copied around.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

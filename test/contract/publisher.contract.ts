/**
 * What any Publisher (core/ports/publisher.ts) must do, against a real mosquitto: committed rows
 * offered arrive in seq order with their exact bytes; each PUBACK marks its row delivered in the
 * store and is reported through onDelivered; rows already in the outbox before start() are read
 * back and sent; subscriptions and raw publishes work; stop() ends it. Run by publisher.test.ts
 * against MqttPublisher (in the calling thread) and ThreadedPublisher (in a worker).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Publisher } from '../../core/ports/publisher.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { ObservationStore, type Committable } from '../../agent/store/store.ts';
import type { PublisherOptions } from '../../agent/transport/mqtt-publisher.ts';
import { ObservationChain, GENESIS_PREV, type SignedObservation } from '../../agent/lineage/observation.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import { silentLogger } from '../../core/log.ts';
import { NOW, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';
import { waitFor } from '../integration/agent-process.ts';

export function publisherContract(name: string, make: (store: ObservationStore, o: PublisherOptions) => Publisher): void {
  describe(`Publisher contract: ${name}`, () => {
    let broker: Mosquitto;
    let authority: Chain;
    const dir = mkdtempSync(join(tmpdir(), 'pa-publisher-contract-'));
    let n = 0;
    const open: { pub: Publisher; store: ObservationStore; sub: mqtt.MqttClient }[] = [];

    beforeAll(async () => {
      broker = await startMosquitto();
      authority = await makeChain();
    });
    afterEach(async () => {
      for (const o of open.splice(0)) {
        await o.pub.stop();
        await o.sub.endAsync(true);
        o.store.close();
      }
    });
    afterAll(async () => {
      await broker?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    async function setup() {
      // Each case its own place, so retained messages of one never reach another.
      const place = `urn:place:TEST:contract:${name.replace(/\W+/g, '')}${++n}`;
      const store = new ObservationStore(join(dir, `p${n}`, 'agent.db'));
      const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
      await chain.prime();
      const pub = make(store, { url: broker.url, clientId: `contract-${n}`, place, logger: silentLogger, birth: () => ({ head: store.head().seq }) });
      const sub = await mqtt.connectAsync(broker.url, { clientId: `contract-sub-${n}`, protocolVersion: 5 });
      const got: Buffer[] = [];
      sub.on('message', (topic, payload) => {
        if (topic === observationTopic(place, 'envelope')) got.push(payload);
      });
      await sub.subscribeAsync(`pm/v1/${place}/#`, { qos: 1 });
      open.push({ pub, store, sub });
      const commit = (count: number): SignedObservation[] => {
        const obs = Array.from({ length: count }, (_, i) => chain.appendSync({ kind: 'envelope', place, t: NOW * 1000 + i, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i } }));
        store.commit(obs.map((o): Committable => ({ obs: o, topic: observationTopic(place, 'envelope'), retain: false })));
        return obs;
      };
      const offer = (obs: SignedObservation[]) => pub.offer(obs.map((o) => ({ seq: o.seq, topic: observationTopic(place, 'envelope'), retain: false, bytes: o.bytes, kind: o.kind })));
      return { place, store, pub, sub, got, commit, offer };
    }

    it('publishes offered rows in seq order with their exact bytes, and each PUBACK marks its row delivered', async () => {
      const { store, pub, got, commit, offer } = await setup();
      const delivered: number[] = [];
      pub.onDelivered((seq) => delivered.push(seq));
      pub.start();
      await waitFor(() => pub.isConnected, 10_000, 'connected');
      const obs = commit(50);
      offer(obs);
      await waitFor(() => got.length >= 50 && store.outboxStats().depth === 0, 20_000, 'all 50 delivered and marked');
      expect(got.map((b) => b.toString('hex'))).toEqual(obs.map((o) => Buffer.from(o.bytes).toString('hex')));
      await waitFor(() => delivered.length >= 50, 5_000, 'onDelivered for each');
      expect([...delivered].sort((a, b) => a - b)).toEqual(obs.map((o) => o.seq));
      // Stats may trail (a worker mirrors them), but they must get there.
      await waitFor(() => pub.stats.acked >= 50 && pub.stats.connected, 5_000, 'stats show 50 PUBACKs');
    });

    it('sends what was already in the outbox before it started, oldest first', async () => {
      const { store, pub, got, commit } = await setup();
      const obs = commit(10);
      pub.start();
      await waitFor(() => got.length >= 10 && store.outboxStats().depth === 0, 20_000, 'backlog drained');
      expect(got.map((b) => b.toString('hex'))).toEqual(obs.map((o) => Buffer.from(o.bytes).toString('hex')));
    });

    it('delivers subscriptions to their handler and publishes raw messages', async () => {
      const { place, pub, sub } = await setup();
      const heard: string[] = [];
      pub.subscribe(`pm/v1/${place}/grants/+`, (topic, payload) => heard.push(`${topic}=${Buffer.from(payload).toString()}`));
      pub.start();
      await waitFor(() => pub.isConnected, 10_000, 'connected');
      await new Promise((r) => setTimeout(r, 200));
      await sub.publishAsync(`pm/v1/${place}/grants/R1`, 'grant-bytes', { qos: 1 });
      await waitFor(() => heard.length === 1, 10_000, 'the subscribed grant');
      expect(heard).toEqual([`pm/v1/${place}/grants/R1=grant-bytes`]);
      const raw: string[] = [];
      sub.on('message', (topic, payload) => topic.endsWith('/raw-test') && raw.push(payload.toString()));
      await pub.publishRaw(`pm/v1/${place}/raw-test`, 'hello');
      await waitFor(() => raw.length === 1, 10_000, 'the raw publish');
    });
  });
}

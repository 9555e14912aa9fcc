/**
 * The publisher in its worker thread (agent/transport/threaded-publisher.ts) against a real
 * mosquitto: committed rows arrive in seq order with their exact bytes and the MQTT 5 content
 * type; PUBACKs are recorded by the main connection; rows committed before it started are read
 * back from the outbox; a worker that dies is counted, started again, and the outbox drains from
 * the oldest undelivered row; subscriptions and raw publishes cross the thread both ways.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { ObservationStore, type Committable } from '../../agent/store/store.ts';
import { ObservationChain, GENESIS_PREV, type SignedObservation } from '../../agent/lineage/observation.ts';
import { ThreadedPublisher } from '../../agent/transport/threaded-publisher.ts';
import { observationTopic, statusTopic, COSE_CONTENT_TYPE } from '../../agent/transport/topics.ts';
import { packRows, unpackRows } from '../../agent/transport/threaded-protocol.ts';
import { silentLogger } from '../../core/log.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';
import { waitFor } from './agent-process.ts';

let broker: Mosquitto;
let authority: Chain;
const dir = mkdtempSync(join(tmpdir(), 'pa-threaded-'));
let n = 0;
const open: { pub?: ThreadedPublisher; store?: ObservationStore; sub?: mqtt.MqttClient }[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  authority = await makeChain();
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.pub?.stop();
    await o.sub?.endAsync(true);
    o.store?.close();
  }
});
afterAll(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(): Promise<{ store: ObservationStore; chain: ObservationChain; pub: ThreadedPublisher; got: { topic: string; seq: number; hex: string; contentType?: string }[]; sub: mqtt.MqttClient }> {
  const store = new ObservationStore(join(dir, `t${++n}`, 'agent.db'));
  const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  await chain.prime();
  const pub = new ThreadedPublisher(store, { url: broker.url, clientId: `threaded-${n}`, place: PLACE, logger: silentLogger, birth: () => ({ head: store.head().seq }) });
  const sub = await mqtt.connectAsync(broker.url, { clientId: `threaded-sub-${n}`, protocolVersion: 5 });
  const got: { topic: string; seq: number; hex: string; contentType?: string }[] = [];
  sub.on('message', (topic, payload, packet) => {
    // Retained envelopes of earlier tests (same place) arrive flagged retain on subscribe.
    if (payload[0] !== 0xd2 || packet.retain) return;
    const hex = payload.toString('hex');
    const props = packet.properties as { contentType?: string } | undefined;
    got.push({ topic, seq: seqOf.get(hex) ?? -1, hex, ...(props?.contentType ? { contentType: props.contentType } : {}) });
  });
  await sub.subscribeAsync(`pm/v1/${PLACE}/#`, { qos: 1 });
  open.push({ pub, store, sub });
  return { store, chain, pub, got, sub };
}

// bytes (hex) -> seq of everything signed, to map arrivals back to the chain.
const seqOf = new Map<string, number>();

function commit(store: ObservationStore, chain: ObservationChain, count: number): SignedObservation[] {
  const obs: SignedObservation[] = [];
  for (let i = 0; i < count; i++) {
    const o = chain.appendSync({ kind: i % 10 === 0 ? 'presence' : 'envelope', place: PLACE, t: NOW * 1000 + i, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i } });
    seqOf.set(Buffer.from(o.bytes).toString('hex'), o.seq);
    obs.push(o);
  }
  const rows: Committable[] = obs.map((o) => ({ obs: o, topic: observationTopic(o.place, o.kind), retain: o.kind === 'envelope' }));
  store.commit(rows);
  return obs;
}

const offerOf = (obs: SignedObservation[]) => obs.map((o) => ({ seq: o.seq, topic: observationTopic(o.place, o.kind), retain: o.kind === 'envelope', bytes: o.bytes, kind: o.kind }));

describe('ThreadedPublisher', () => {
  it('packs rows into one buffer and unpacks them unchanged', () => {
    const rows = [
      { seq: 7, topic: 'a/b', retain: true, kind: 'envelope', bytes: Uint8Array.of(1, 2, 3) },
      { seq: 8, topic: 'a/c', retain: false, kind: 'gap', bytes: new Uint8Array(0) },
      { seq: 9, topic: 'a/d', retain: false, kind: 'presence', bytes: new Uint8Array(1500).fill(9) },
    ];
    const packed = packRows(rows);
    expect(packed.bytes.byteLength).toBe(1503);
    expect(unpackRows(packed).map((r) => ({ ...r, bytes: [...r.bytes] }))).toEqual(rows.map((r) => ({ ...r, bytes: [...r.bytes] })));
  });

  it('publishes offered rows in seq order with their exact bytes and content type, and records each PUBACK', async () => {
    const { store, chain, pub, got } = await setup();
    const delivered: number[] = [];
    pub.onDelivered((seq) => delivered.push(seq));
    pub.start();
    await new Promise<void>((r) => pub.onConnected(r));
    const obs = [...commit(store, chain, 150), ...commit(store, chain, 150)];
    pub.offer(offerOf(obs.slice(0, 150)));
    pub.offer(offerOf(obs.slice(150)));
    await waitFor(() => store.outboxStats().depth === 0, 20_000, 'every row marked delivered');
    await waitFor(() => got.length >= 300, 10_000, 'every row at the subscriber');
    expect(got.map((g) => g.seq)).toEqual(obs.map((o) => o.seq));
    expect(got.map((g) => g.hex)).toEqual(obs.map((o) => Buffer.from(o.bytes).toString('hex')));
    expect(got.every((g) => g.contentType === COSE_CONTENT_TYPE)).toBe(true);
    expect(got.map((g) => g.topic)).toEqual(obs.map((o) => observationTopic(o.place, o.kind)));
    expect(delivered.sort((a, b) => a - b)).toEqual(obs.map((o) => o.seq));
    await waitFor(() => pub.stats.acked === 300, 5_000, 'mirrored stats');
    expect(pub.isConnected).toBe(true);
  });

  it('reads back rows committed before it started, and publishes its birth status', async () => {
    const { store, chain, pub, got, sub } = await setup();
    const obs = commit(store, chain, 120); // never offered
    const status: string[] = [];
    sub.on('message', (topic, payload) => {
      if (topic === statusTopic(PLACE)) status.push(payload.toString());
    });
    pub.start();
    await waitFor(() => store.outboxStats().depth === 0, 20_000, 'the backlog delivered');
    await waitFor(() => got.length >= 120, 10_000, 'every row at the subscriber');
    expect(got.map((g) => g.seq)).toEqual(obs.map((o) => o.seq));
    await waitFor(() => status.some((s) => JSON.parse(s).state === 'online'), 5_000, 'the birth message');
    expect(JSON.parse(status.find((s) => JSON.parse(s).state === 'online')!).head).toBe(120);
  });

  it('counts a worker that dies, starts it again and drains the outbox from the oldest undelivered row', async () => {
    const { store, chain, pub, got } = await setup();
    pub.start();
    await new Promise<void>((r) => pub.onConnected(r));
    const first = commit(store, chain, 50);
    pub.offer(offerOf(first));
    await waitFor(() => store.outboxStats().depth === 0, 20_000, 'the first rows delivered');
    await (pub as unknown as { worker: Worker }).worker.terminate();
    await waitFor(() => pub.errors.get('MQTT_WORKER_EXITED') === 1, 5_000, 'the exit counted');
    // Committed while no worker runs: offered into the void, the outbox keeps them.
    const during = commit(store, chain, 80);
    pub.offer(offerOf(during));
    expect(store.outboxStats().depth).toBe(80);
    await waitFor(() => store.outboxStats().depth === 0, 30_000, 'the outbox drained by the new worker');
    await waitFor(() => new Set(got.map((g) => g.seq)).size >= 130, 10_000, 'every seq at the subscriber');
    const seqs = [...new Set(got.map((g) => g.seq))];
    expect(seqs).toEqual([...first, ...during].map((o) => o.seq));
    expect(pub.isConnected).toBe(true);
  });

  it('passes subscriptions and raw publishes across the thread', async () => {
    const { pub, sub } = await setup();
    const inbound: { topic: string; text: string }[] = [];
    const grants = `pm/v1/${PLACE}/grants/+`;
    pub.subscribe(grants, (topic, payload) => inbound.push({ topic, text: Buffer.from(payload).toString() }));
    pub.start();
    await new Promise<void>((r) => pub.onConnected(r));
    await new Promise((r) => setTimeout(r, 200)); // the worker's SUBSCRIBE reaches the broker
    await sub.publishAsync(`pm/v1/${PLACE}/grants/R9`, 'grant-bytes', { qos: 1 });
    await waitFor(() => inbound.length === 1, 5_000, 'the grant at the main thread');
    expect(inbound[0]).toEqual({ topic: `pm/v1/${PLACE}/grants/R9`, text: 'grant-bytes' });
    const raw: string[] = [];
    sub.on('message', (topic, payload) => {
      if (topic === `pm/v1/${PLACE}/raw-test`) raw.push(payload.toString());
    });
    await pub.publishRaw(`pm/v1/${PLACE}/raw-test`, 'hello', { retain: false });
    await waitFor(() => raw.length === 1, 5_000, 'the raw publish at the subscriber');
    expect(raw).toEqual(['hello']);
  });
});

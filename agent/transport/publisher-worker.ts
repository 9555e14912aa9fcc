/**
 * The MQTT publisher's worker thread (see threaded-publisher.ts): its own, read-only use of a
 * connection to the agent's database (the outbox, read back after a reconnect) and an
 * MqttPublisher, driven by messages from the main thread. Everything the main thread needs to
 * know, PUBACKs included, comes back as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger, LogLevel } from '../../core/log.ts';
import { ObservationStore } from '../store/store.ts';
import { MqttPublisher } from './mqtt-publisher.ts';
import { unpackRows, type ToWorker, type FromWorker, type WorkerInit } from './threaded-protocol.ts';
import { MqttErrorCode } from './errors.ts';
import { codeOf } from '../../core/coded-error.ts';

const init = (workerData as { data: WorkerInit }).data;
const port = parentPort!;
const send = (m: FromWorker): void => port.postMessage(m);

function forwardingLogger(ns: string): Logger {
  const emit = (level: LogLevel) => (msg: string | (() => string), fields?: Record<string, unknown>) =>
    send({ t: 'log', level, ns, msg: typeof msg === 'function' ? msg() : msg, fields: plain(fields) });
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), child: (sub) => forwardingLogger(`${ns}:${sub}`) };
}

/** Log fields as plain data (an Error's name, message and code), safe to post. */
function plain(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  return JSON.parse(
    JSON.stringify(fields, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      if (v instanceof Error) return { name: v.name, message: v.message, ...(codeOf(v, '') ? { code: codeOf(v, '') } : {}) };
      return v;
    }),
  ) as Record<string, unknown>;
}

const store = new ObservationStore(init.dbPath, { skipIntegrityCheck: true });
let birth: Record<string, unknown> = init.birth;
// Deliveries are recorded by the main thread (it owns the writes): a second writer here would
// wait on the main thread's commits through SQLite's busy handler and stall publishing.
const pub = new MqttPublisher(store, { ...init.options, logger: forwardingLogger('mqtt'), birth: () => birth, recordDeliveries: false });

// While this worker runs, the main connection leaves WAL checkpoints to it
// (ThreadedPublisher turns its autocheckpoint off): a PASSIVE checkpoint every CHECKPOINT_MS
// keeps the WAL short without taking the write lock.
const CHECKPOINT_MS = 500;
const checkpointTimer = setInterval(() => {
  try {
    store.checkpoint();
  } catch (e) {
    send({ t: 'log', level: 'warn', ns: 'mqtt', msg: 'WAL checkpoint failed; will retry', fields: plain({ error: e }) });
  }
}, CHECKPOINT_MS);

let delivered: [number, number][] = [];
let deliveredTimer: NodeJS.Timeout | undefined;
pub.onDelivered((seq, ms) => {
  delivered.push([seq, ms]);
  deliveredTimer ??= setTimeout(flushDelivered, 20);
});
function flushDelivered(): void {
  clearTimeout(deliveredTimer);
  deliveredTimer = undefined;
  if (delivered.length) send({ t: 'delivered', items: delivered });
  delivered = [];
}

function sendStats(): void {
  send({ t: 'stats', stats: { ...pub.stats }, inflight: pub.inflightCount, errors: pub.errors.snapshot() });
}
const statsTimer = setInterval(sendStats, 100);

pub.onConnected(() => {
  sendStats();
  send({ t: 'connected' });
});

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'start':
      pub.start();
      return;
    case 'offer':
      birth = m.birth;
      pub.offer(unpackRows(m.rows));
      return;
    case 'kick':
      pub.kick();
      return;
    case 'subscribe':
      pub.subscribe(m.filter, (topic, payload) => send({ t: 'message', filter: m.filter, topic, payload }));
      return;
    case 'raw':
      pub.publishRaw(m.topic, m.payload, m.opts).then(
        () => send({ t: 'rawDone', id: m.id }),
        (e: Error) => send({ t: 'rawDone', id: m.id, error: { message: e.message, code: codeOf(e, MqttErrorCode.MQTT_PUBLISH_FAILED) } }),
      );
      return;
    case 'stop':
      // A stop that fails (the goodbye publish or the disconnect throwing) is logged, and the
      // worker still closes its database and says it stopped: left to reject, it would surface
      // as a worker error and be counted as MQTT_WORKER_FAILED while the agent is stopping.
      pub
        .stop()
        .catch((e: unknown) => send({ t: 'log', level: 'warn', ns: 'mqtt', msg: 'the publisher did not stop cleanly', fields: plain({ error: e }) }))
        .finally(() => {
          flushDelivered();
          sendStats();
          clearInterval(statsTimer);
          clearInterval(checkpointTimer);
          try {
            store.close();
          } catch (e) {
            send({ t: 'log', level: 'warn', ns: 'mqtt', msg: 'could not close the database', fields: plain({ error: e }) });
          }
          send({ t: 'stopped' });
        });
      return;
  }
});

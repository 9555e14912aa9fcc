/**
 * The agent against a locked-down mosquitto: a password file (no anonymous clients) and a TLS
 * listener whose certificates this test makes with the openssl CLI (hil/pki.ts). Credentials
 * are read by loadBrokerCredentials from files, as the composition root does, and travel to
 * the publisher's worker thread. Each way the login can fail (wrong password, a broker
 * certificate from an unknown CA, an expired broker certificate, a certificate for another
 * name, our client certificate refused) shows as its own coded error; the outbox keeps every
 * row; once the broker is fixed, delivery resumes on its own and drains the outbox in order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto, writePasswordFile, type Mosquitto, type MosquittoSecurity } from '../../hil/mosquitto.ts';
import { makePki, type IssuedCert, type TestCa, type TestPki } from '../../hil/pki.ts';
import { ObservationStore, type Committable } from '../../agent/store/store.ts';
import { ObservationChain, GENESIS_PREV } from '../../agent/lineage/observation.ts';
import { ThreadedPublisher } from '../../agent/transport/threaded-publisher.ts';
import { loadBrokerCredentials, type BrokerSettings } from '../../agent/transport/broker-credentials.ts';
import { observationTopic } from '../../agent/transport/topics.ts';
import { silentLogger } from '../../core/log.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';
import { waitFor } from './agent-process.ts';

const USER = 'berth-7-gateway';
const PASSWORD = 'correct horse battery staple';

let dir: string;
let pki: TestPki;
let ca: TestCa;
let stranger: TestCa;
let server: IssuedCert;
let gateway: IssuedCert;
let authority: Chain;
let n = 0;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-mqtt-sec-'));
  pki = makePki();
  ca = pki.ca('broker-ca');
  stranger = pki.ca('stranger-ca');
  server = ca.issue('server', { subject: '127.0.0.1', altNames: 'IP:127.0.0.1,DNS:localhost' });
  gateway = ca.issue('gateway', { subject: USER, clientAuth: true });
  authority = await makeChain();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
afterAll(() => {
  pki?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The gateway's own files, as an installer lays them out (secrets 0600). */
function gatewayFiles(password = PASSWORD): { passwordFile: string; caFile: string; certFile: string; keyFile: string } {
  const d = mkdtempSync(join(dir, 'gw-'));
  const passwordFile = join(d, 'mqtt.password');
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  const keyFile = join(d, 'mqtt.key');
  copyFileSync(gateway.keyFile, keyFile);
  chmodSync(keyFile, 0o600);
  return { passwordFile, caFile: ca.certFile, certFile: gateway.certFile, keyFile };
}

/** Broker-side files in their own directory, so a test can swap the certificate and restart. */
function brokerSecurity(cert: IssuedCert, requireClientCert = true, users: Record<string, string> = { [USER]: PASSWORD }): MosquittoSecurity {
  const d = mkdtempSync(join(dir, 'broker-'));
  const passwordFile = join(d, 'passwd');
  writePasswordFile(passwordFile, users);
  return { passwordFile, tls: { caFile: ca.certFile, certFile: cert.certFile, keyFile: cert.keyFile, requireClientCert } };
}

async function broker(security: MosquittoSecurity): Promise<Mosquitto> {
  const b = await startMosquitto(security);
  cleanup.push(() => b.dispose());
  return b;
}

/** A store with `count` committed, undelivered observations and a publisher for it (not started). */
async function gatewayWith(settings: BrokerSettings, count: number): Promise<{ store: ObservationStore; pub: ThreadedPublisher }> {
  const store = new ObservationStore(join(dir, `agent-${++n}.db`));
  const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  await chain.prime();
  const rows: Committable[] = [];
  for (let i = 0; i < count; i++) {
    const o = chain.appendSync({ kind: 'presence', place: PLACE, t: NOW * 1000 + i, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i } });
    rows.push({ obs: o, topic: observationTopic(o.place, o.kind), retain: false });
    seqOf.set(Buffer.from(o.bytes).toString('hex'), o.seq);
  }
  store.commit(rows);
  cleanup.push(() => store.close());
  return { store, pub: publisherFor(store, settings) };
}

/** A publisher as the composition root makes one: credentials loaded from the configured files. */
function publisherFor(store: ObservationStore, settings: BrokerSettings): ThreadedPublisher {
  const pub = new ThreadedPublisher(store, { url: settings.url, clientId: `sec-${n}`, place: PLACE, logger: silentLogger, birth: () => ({}), ...loadBrokerCredentials(settings) });
  cleanup.push(() => pub.stop());
  return pub;
}

// bytes (hex) -> seq of everything signed, to map arrivals back to the chain.
const seqOf = new Map<string, number>();

/** Every row the broker routed to a subscriber that logs in properly, by seq. */
async function subscriber(b: Mosquitto): Promise<number[]> {
  const f = gatewayFiles();
  const sub = await mqtt.connectAsync(b.url, { clientId: `sec-sub-${++n}`, protocolVersion: 5, username: USER, password: PASSWORD, ca: [readPem(f.caFile)], cert: readPem(f.certFile), key: readPem(f.keyFile) });
  cleanup.push(() => sub.endAsync(true));
  const seqs: number[] = [];
  sub.on('message', (_t, payload) => seqs.push(seqOf.get(payload.toString('hex')) ?? -1));
  await sub.subscribeAsync(`pm/v1/${PLACE}/presence/#`, { qos: 1 });
  return seqs;
}

const readPem = (p: string): string => readFileSync(p, 'utf8');

/**
 * A subscriber whose MQTT 5 session outlives its connection (the broker keeps it on disk):
 * parked while the broker is still set up right, it is queued every row published while it
 * is away, so the rows a recovering publisher sends before the subscriber is back are not
 * lost to the test (a fresh subscriber would race the publisher's own reconnect).
 */
async function parkSubscriber(b: Mosquitto): Promise<() => Promise<number[]>> {
  const f = gatewayFiles();
  const clientId = `sec-parked-${++n}`;
  const opts = { clientId, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 600 }, username: USER, password: PASSWORD, ca: [readPem(f.caFile)], cert: readPem(f.certFile), key: readPem(f.keyFile) };
  const first = await mqtt.connectAsync(b.url, opts);
  await first.subscribeAsync(`pm/v1/${PLACE}/presence/#`, { qos: 1 });
  await first.endAsync();
  return async () => {
    const seqs: number[] = [];
    const sub = mqtt.connect(b.url, opts);
    sub.on('message', (_t, payload) => seqs.push(seqOf.get(payload.toString('hex')) ?? -1));
    cleanup.push(() => sub.endAsync(true));
    await new Promise<void>((resolve, reject) => {
      sub.once('connect', () => resolve());
      sub.once('error', reject);
    });
    return seqs;
  };
}

/** Started right, a subscriber parked, then restarted with `broken` settings. */
async function brokenBroker(broken: MosquittoSecurity): Promise<{ b: Mosquitto; resume: () => Promise<number[]> }> {
  const b = await broker(brokerSecurity(server));
  const resume = await parkSubscriber(b);
  await b.stop();
  b.configure(broken);
  await b.start();
  return { b, resume };
}

const seqs = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

describe('MQTT login and TLS', () => {
  it('logs in with password and client certificate over TLS, the server checked against the CA: every row published and marked delivered', async () => {
    const b = await broker(brokerSecurity(server));
    expect(b.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:/);
    const got = await subscriber(b);
    const { store, pub } = await gatewayWith({ url: b.url, username: USER, ...gatewayFiles() }, 40);
    pub.start();
    await waitFor(() => store.outboxStats().depth === 0, 20_000, 'every row PUBACKed and marked delivered');
    await waitFor(() => got.length >= 40, 10_000, 'every row at the subscriber');
    expect(got).toEqual(seqs(40));
    expect(pub.errors.snapshot()).toEqual({});
  });

  it('with a CA file only (no client certificate) checks the server and logs in with the password', async () => {
    const b = await broker(brokerSecurity(server, false));
    const f = gatewayFiles();
    const { store, pub } = await gatewayWith({ url: b.url, username: USER, passwordFile: f.passwordFile, caFile: f.caFile }, 10);
    pub.start();
    await waitFor(() => store.outboxStats().depth === 0, 20_000, 'every row delivered');
  });

  /**
   * One failure: the agent starts against a broker or with files set up wrong, must report
   * `code` and keep every row; then `fix` puts it right and the outbox drains in order.
   */
  async function failsThenRecovers(code: string, resume: () => Promise<number[]>, settings: BrokerSettings, fix: (store: ObservationStore, pub: ThreadedPublisher) => Promise<void>): Promise<void> {
    const { store, pub } = await gatewayWith(settings, 25);
    pub.start();
    await waitFor(() => pub.errors.get(code) >= 2, 20_000, `${code} reported on two attempts`);
    expect(pub.isConnected).toBe(false);
    expect(pub.stats.lastErrorCode).toBe(code);
    expect(pub.stats.lastError).toContain(code);
    expect(store.outboxStats().depth).toBe(25);
    expect(store.pending(0, 100).map((r) => r.seq)).toEqual(seqs(25));

    await fix(store, pub);
    const got = await resume();
    await waitFor(() => store.outboxStats().depth === 0, 40_000, 'the outbox drained once fixed');
    await waitFor(() => got.length >= 25, 10_000, 'every row at the subscriber');
    expect(got).toEqual(seqs(25));
  }

  /** The broker restarted with corrected settings; the running publisher retries on its own. */
  const brokerFixed = (b: Mosquitto, fixed: MosquittoSecurity) => async (): Promise<void> => {
    await b.stop();
    b.configure(fixed);
    await b.start();
  };

  it('a wrong password: MQTT_AUTH_REJECTED, outbox kept, delivered once the broker accepts the password', async () => {
    const { b, resume } = await brokenBroker(brokerSecurity(server, true, { [USER]: 'another password' }));
    await failsThenRecovers('MQTT_AUTH_REJECTED', resume, { url: b.url, username: USER, ...gatewayFiles() }, brokerFixed(b, brokerSecurity(server)));
  });

  it('a broker certificate from a CA we do not trust: MQTT_TLS_UNTRUSTED until the broker presents one from ours', async () => {
    const impostor = stranger.issue('impostor', { subject: '127.0.0.1', altNames: 'IP:127.0.0.1' });
    const { b, resume } = await brokenBroker(brokerSecurity(impostor));
    await failsThenRecovers('MQTT_TLS_UNTRUSTED', resume, { url: b.url, username: USER, ...gatewayFiles() }, brokerFixed(b, brokerSecurity(server)));
  });

  it('an expired broker certificate: MQTT_TLS_CERT_EXPIRED until it is renewed', async () => {
    const expired = ca.issue('expired', { subject: '127.0.0.1', altNames: 'IP:127.0.0.1', start: '20250101000000Z', end: '20250201000000Z' });
    const { b, resume } = await brokenBroker(brokerSecurity(expired));
    await failsThenRecovers('MQTT_TLS_CERT_EXPIRED', resume, { url: b.url, username: USER, ...gatewayFiles() }, brokerFixed(b, brokerSecurity(server)));
  });

  it('a broker certificate for another name: MQTT_TLS_NAME_MISMATCH (server name checking is on)', async () => {
    const elsewhere = ca.issue('elsewhere', { subject: 'broker.elsewhere.example', altNames: 'DNS:broker.elsewhere.example' });
    const { b, resume } = await brokenBroker(brokerSecurity(elsewhere));
    await failsThenRecovers('MQTT_TLS_NAME_MISMATCH', resume, { url: b.url, username: USER, ...gatewayFiles() }, brokerFixed(b, brokerSecurity(server)));
  });

  it('our own expired client certificate, refused by the broker: MQTT_TLS_CLIENT_REJECTED, delivered after a valid one is installed and the agent restarted', async () => {
    const old = ca.issue('gateway-old', { subject: USER, clientAuth: true, start: '20250101000000Z', end: '20250201000000Z' });
    const b = await broker(brokerSecurity(server));
    const resume = await parkSubscriber(b);
    const files = gatewayFiles();
    await failsThenRecovers('MQTT_TLS_CLIENT_REJECTED', resume, { url: b.url, username: USER, ...files, certFile: old.certFile, keyFile: keyCopy(old) }, async (store, pub) => {
      await pub.stop();
      publisherFor(store, { url: b.url, username: USER, ...files }).start();
    });
  });

  it('no client certificate where the broker requires one: MQTT_TLS_CLIENT_REJECTED, outbox kept', async () => {
    const b = await broker(brokerSecurity(server, true));
    const f = gatewayFiles();
    const { store, pub } = await gatewayWith({ url: b.url, username: USER, passwordFile: f.passwordFile, caFile: f.caFile }, 5);
    pub.start();
    await waitFor(() => pub.errors.get('MQTT_TLS_CLIENT_REJECTED') >= 1, 20_000, 'the refusal reported');
    expect(pub.stats.lastError).toMatch(/MQTT_TLS_CLIENT_REJECTED: .*certificate required/);
    expect(store.outboxStats().depth).toBe(5);
  });
});

function keyCopy(c: IssuedCert): string {
  const p = join(mkdtempSync(join(dir, 'key-')), 'k.pem');
  copyFileSync(c.keyFile, p);
  chmodSync(p, 0o600);
  return p;
}

describe('broker credential files', () => {
  it('refuses a password file or client key that group or others can open, naming the file and the fix', () => {
    const f = gatewayFiles();
    chmodSync(f.passwordFile, 0o640);
    expect(() => loadBrokerCredentials({ url: 'mqtts://b:8883', username: USER, passwordFile: f.passwordFile })).toThrow(expect.objectContaining({ code: 'MQTT_SECRET_FILE_MODE', message: expect.stringContaining(`chmod 600 ${f.passwordFile}`) }));
    const g = gatewayFiles();
    chmodSync(g.keyFile, 0o604);
    expect(() => loadBrokerCredentials({ url: 'mqtts://b:8883', ...g, passwordFile: undefined })).toThrow(expect.objectContaining({ code: 'MQTT_SECRET_FILE_MODE' }));
  });

  it('refuses settings that would silently not be used: TLS files on a plain URL, a certificate without its key, a password without a user', () => {
    const f = gatewayFiles();
    expect(() => loadBrokerCredentials({ url: 'mqtt://b:1883', caFile: f.caFile })).toThrow(expect.objectContaining({ code: 'MQTT_TLS_SETTINGS' }));
    expect(() => loadBrokerCredentials({ url: 'mqtts://b:8883', certFile: f.certFile })).toThrow(expect.objectContaining({ code: 'MQTT_TLS_SETTINGS' }));
    expect(() => loadBrokerCredentials({ url: 'mqtts://b:8883', passwordFile: f.passwordFile })).toThrow(expect.objectContaining({ code: 'MQTT_TLS_SETTINGS' }));
    expect(() => loadBrokerCredentials({ url: 'mqtts://b:8883', username: USER, passwordFile: join(dir, 'absent') })).toThrow(expect.objectContaining({ code: 'MQTT_FILE_UNREADABLE' }));
  });

  it('reads the password without its trailing newline and the PEM files whole', () => {
    const f = gatewayFiles();
    const c = loadBrokerCredentials({ url: 'mqtts://b:8883', username: USER, ...f });
    expect(c).toEqual({ username: USER, password: PASSWORD, ca: readPem(f.caFile), cert: readPem(f.certFile), key: readPem(f.keyFile) });
  });
});

/**
 * The configured agent (`place-agent run --config`) against a mosquitto that takes only TLS
 * with a client certificate and a password: the configuration's mqtt.username, passwordFile,
 * caFile, certFile and keyFile reach the publisher's worker thread and the agent's first
 * observation arrives; a password file other users can read stops the start with a coded error
 * before anything is opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startMosquitto, writePasswordFile, type Mosquitto } from '../../hil/mosquitto.ts';
import { makePki, type TestPki } from '../../hil/pki.ts';
import { freePort } from '../../hil/ports.ts';
import { runAgent, spawnAgent, waitFor, type AgentProcess } from './agent-process.ts';

const PLACE = 'urn:place:TEST:berth:9';
const USER = 'berth-9';
const PASSWORD = 'tls and a password';

describe('configured agent on a locked-down broker', () => {
  let dir: string;
  let pki: TestPki;
  let broker: Mosquitto;
  let agent: AgentProcess | undefined;
  let state: string;
  let auth: string;
  let caFile: string;
  let certFile: string;
  let keyFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-mqtt-agent-'));
    pki = makePki();
    const ca = pki.ca('broker-ca');
    const server = ca.issue('server', { subject: '127.0.0.1', altNames: 'IP:127.0.0.1' });
    const client = ca.issue('gateway', { subject: USER, clientAuth: true });
    caFile = ca.certFile;
    certFile = client.certFile;
    keyFile = join(dir, 'mqtt.key');
    copyFileSync(client.keyFile, keyFile);
    chmodSync(keyFile, 0o600);
    writePasswordFile(join(dir, 'passwd'), { [USER]: PASSWORD });
    broker = await startMosquitto({ passwordFile: join(dir, 'passwd'), tls: { caFile, certFile: server.certFile, keyFile: server.keyFile, requireClientCert: true } });
    state = join(dir, 'state');
    auth = join(dir, 'authority');
    expect((await runAgent(['keys', 'init', '--state', state])).code).toBe(0);
    expect((await runAgent(['authority', 'init', '--dir', auth, '--name', 'urn:place-authority:test'])).code).toBe(0);
    const iss = JSON.parse((await runAgent(['keys', 'show', '--state', state, '--json', '--public-out', join(state, 'device.pub')])).stdout).issuer as string;
    const issue = await runAgent(['authority', 'issue', '--dir', auth, '--subject', iss, '--key', join(state, 'device.pub'), '--places', PLACE, '--out', join(state, 'device.cred')]);
    expect(issue.code, issue.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (agent && agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    await broker?.dispose();
    pki?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function config(passwordMode: number): Promise<string> {
    const passwordFile = join(dir, `mqtt-${passwordMode.toString(8)}.password`);
    writeFileSync(passwordFile, PASSWORD + '\n');
    chmodSync(passwordFile, passwordMode);
    const cfg = join(dir, `config-${passwordMode.toString(8)}.yaml`);
    const lines = [`place: ${PLACE}`, `stateDir: ${state}`, 'credential:', `  parents: [${join(auth, 'root.cred')}]`, `trustAnchors: [${join(auth, 'anchor.cose')}]`];
    lines.push('mqtt:', `  url: ${broker.url}`, `  username: ${USER}`, `  passwordFile: ${passwordFile}`, `  caFile: ${caFile}`, `  certFile: ${certFile}`, `  keyFile: ${keyFile}`);
    lines.push('metrics:', `  listen: 127.0.0.1:${await freePort()}`);
    writeFileSync(cfg, lines.join('\n') + '\n');
    return cfg;
  }

  it('refuses to start with a password file group or others can read: MQTT_SECRET_FILE_MODE, exit 3', async () => {
    const r = await runAgent(['run', '--config', await config(0o644)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/MQTT_SECRET_FILE_MODE: .*is accessible by group or others \(mode 644\); run chmod 600/);
  });

  it('logs in over TLS with its certificate and password and publishes its observations', async () => {
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'agent-test-sub', username: USER, password: PASSWORD, ca: readFileSync(caFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') });
    const got: Buffer[] = [];
    sub.on('message', (_t, payload) => {
      if (payload[0] === 0xd2) got.push(payload);
    });
    await sub.subscribeAsync(`pm/v1/${PLACE}/#`, { qos: 1 });
    try {
      const cfg = await config(0o600);
      agent = spawnAgent(['run', '--config', cfg]);
      await waitFor(() => got.length >= 1 || agent!.proc.exitCode !== null, 40_000, 'a signed observation from the agent through the TLS broker');
      expect(agent.proc.exitCode, agent.stderr()).toBeNull();
      expect(got.length).toBeGreaterThanOrEqual(1);
      agent.proc.kill('SIGTERM');
      expect(await agent.exited, agent.stderr()).toBe(0);
    } finally {
      await sub.endAsync(true);
    }
  });
});

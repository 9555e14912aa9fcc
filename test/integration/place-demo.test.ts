/**
 * The place demos as an engineer runs them: `npm run demo:<place> -- --dir DIR` in its own
 * session (a terminal), observations watched on the broker the demo prints, each checked with
 * the verifier library and by the `place-agent verify --broker` command the demo prints; the
 * envelope must carry exactly the dimensions the place's profile declares and the scene's unit
 * must be attested as arrived through the real drivers. Then Ctrl-C to the whole group, as a
 * terminal sends it: exit 0, no process of the demo left, the broker's port closed, the ptys
 * gone, and the kept chain verifies from seq 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { runAgent, waitFor } from './agent-process.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { loadConfigFile } from '../../agent/config/load.ts';
import { resolvePlaceProfile } from '../../agent/config/place-profile.ts';
import { plain } from '../support/place-gateway.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Processes whose command line names `path` (the demo's ptys, gpsd socket, config, firmware world). */
function processesNaming(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(path)) found.push(`${pid}: ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });

describe.each(['berth', 'charger', 'dock'])('npm run demo:%s', (place) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `pa-demo-${place}-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the place signing through its real drivers, verifiably, with its declared dimensions, and stops cleanly on Ctrl-C', async () => {
    const demoDir = join(dir, 'demo');
    const demo = spawn('npm', ['run', `demo:${place}`, '--', '--dir', demoDir], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // npm ends itself with the signal it was sent once its script is done: the script's own exit is in its last line.
    const exited = new Promise<string>((r) => demo.once('exit', (c, sig) => r(c === null ? String(sig) : String(c))));
    let client: mqtt.MqttClient | undefined;
    try {
      await waitFor(() => /^ {2}verify {2}place-agent verify .*$/m.test(out) || demo.exitCode !== null, 240_000, 'the demo banner');
      const verifyLine = /^ {2}verify {2}place-agent (verify .*)$/m.exec(out);
      expect(verifyLine, out + err).not.toBeNull();
      const verifyArgs = verifyLine![1]!.split(' ');
      const flag = (name: string): string => verifyArgs[verifyArgs.indexOf(name) + 1]!;
      const [brokerUrl, placeUrn, anchorFile] = [flag('--broker'), flag('--place'), flag('--anchor')];
      const brokerPort = Number(new URL(brokerUrl).port);
      const ptys = [...out.matchAll(/ on (\/\S+)$/gm)].map((m) => m[1]!);
      expect(ptys.length).toBeGreaterThanOrEqual(2);

      const declared = resolvePlaceProfile(loadConfigFile(join(demoDir, `${place}.yaml`))).dims.map((d) => d.id).sort();
      expect(declared.length).toBeGreaterThanOrEqual(3);
      const verifier = new ObservationVerifier([loadTrustAnchor(anchorFile)]);
      const failures: string[] = [];
      const envelopes: string[][] = [];
      const arrived: string[] = [];
      client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5 });
      client.on('message', (topic, payload) => {
        if (topic.includes('/grants/') || payload[0] !== 0xd2) return;
        const r = verifier.check(new Uint8Array(payload));
        if (!r.ok) return void failures.push(`${topic}: ${r.code}`);
        const body = plain(r.claims.body) as Record<string, unknown>;
        if (r.claims.kind === 'envelope') envelopes.push(Object.keys(body.dims as object).sort());
        if (r.claims.kind === 'presence' && body.event === 'arrived') arrived.push((body.unit as string[]).join(':'));
      });
      await client.subscribeAsync(`pm/v1/${placeUrn}/#`, { qos: 1 });

      // The verify command the banner prints, against the live broker.
      const verified = await runAgent([...verifyArgs.slice(0, verifyArgs.indexOf('--count')), '--count', '6', '--duration', '90']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stderr).toMatch(/^6 observation\(s\), \d+ duplicate\(s\), 0 failure\(s\)/m);

      await waitFor(() => envelopes.some((d) => d.join() === declared.join()), 90_000, `an envelope with ${declared.join(', ')}`);
      const unit = /granted to (\S+) /.exec(out)![1]!;
      await waitFor(() => arrived.includes(unit), 90_000, `${unit} attested as arrived`);
      expect(failures).toEqual([]);
      expect(envelopes.every((d) => d.every((id) => declared.includes(id))), JSON.stringify(envelopes)).toBe(true);

      // Ctrl-C, as a terminal sends it: to the whole process group.
      process.kill(-demo.pid!, 'SIGINT');
      const t0 = Date.now();
      expect(['0', 'SIGINT']).toContain(await exited);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(out, out + err).toMatch(/agent stopped \(exit 0\)/);
      expect(out).toMatch(/^place-demo: stopped; devices, ptys and broker closed$/m);
      await waitFor(() => processesNaming(demoDir).length === 0, 10_000, `no process naming ${demoDir}: ${processesNaming(demoDir).join('; ')}`);
      for (const p of ptys) expect(existsSync(p), p).toBe(false);
      expect(await accepts(brokerPort)).toBe(false);

      const chain = join(dir, 'chain.cbor');
      const exported = await runAgent(['export', '--state', join(demoDir, 'state'), '--out', chain]);
      expect(exported.code, exported.stderr).toBe(0);
      const whole = await runAgent(['verify', '--anchor', anchorFile, '--file', chain, '--require-genesis']);
      expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    } finally {
      await client?.endAsync(true);
      if (demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid!, 'SIGKILL');
    }
  }, 600_000);
});

/**
 * The command line as installers and auditors use it: bad input gives a coded error and the
 * right exit code without touching the store; verify accepts an exported chain and names the
 * seq of a tampered one; decode prints what a port says and why it rejects a frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAgent, spawnAgent, waitFor } from './agent-process.ts';
import { freePort } from '../../hil/ports.ts';
import { keptDatabase } from '../support/kept-database.ts';

const corpus = resolve(import.meta.dirname, '../fixtures/gpsd');

describe('place-agent CLI', () => {
  let dir: string;
  let state: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-cli-'));
    state = join(dir, 'state');
    // A short embedded run provisions a key, an authority and a chain to work with.
    const a = spawnAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet', '--envelope-interval-ms', '50']);
    // Generous: the first start generates keys and compiles through tsx; under load it took over 20 s.
    await waitFor(() => a.stdout().includes('broker mqtt://'), 50_000, 'the demo to start');
    await new Promise((r) => setTimeout(r, 1500));
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('config check names the field, the value and the expectation, and exits 2', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'place: urn:place:X:berth:1\nmqtt:\n  url: http://broker\nsurprise: 1\n');
    const r = await runAgent(['config', 'check', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toMatch(/\/mqtt\/url: got "http:\/\/broker", expected/);
    expect(r.stderr).toContain('/surprise: got 1, expected no such key');
  });

  it('run with a malformed config exits 2 before creating a store', async () => {
    const sd = join(dir, 'untouched');
    const f = join(dir, 'bad-run.yaml');
    writeFileSync(f, `place: not-a-urn\nstateDir: ${sd}\n`);
    const r = await runAgent(['run', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/place');
    expect(existsSync(sd)).toBe(false);
  });

  it('refuses a key readable by others with KEY_PERMISSIONS and exit 3, and a missing key with KEY_MISSING', async () => {
    const sd = join(dir, 'perm');
    mkdirSync(sd);
    writeFileSync(join(sd, 'device.key'), readFileSync(join(state, 'device.key')));
    chmodSync(join(sd, 'device.key'), 0o644);
    const f = join(dir, 'perm.yaml');
    writeFileSync(f, `place: urn:place:DEMO:berth:1\nstateDir: ${sd}\nmetrics:\n  enabled: false\n`);
    const r = await runAgent(['run', '--config', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('KEY_PERMISSIONS');
    expect(r.stderr).toContain('chmod 600');
    rmSync(join(sd, 'device.key'));
    const m = await runAgent(['run', '--config', f]);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain('KEY_MISSING');
  }, 180_000);

  it('reports a corrupt database with STORE_CORRUPT and exit 3, leaving the file as it was', async () => {
    const sd = join(dir, 'corrupt');
    mkdirSync(sd);
    for (const f of ['device.key', 'device.id', 'device.cred', 'epoch']) writeFileSync(join(sd, f), readFileSync(join(state, f)), { mode: 0o600 });
    mkdirSync(join(sd, 'authority'));
    for (const f of ['anchor.key', 'anchor.cose', 'root.cred', 'grantor.key', 'grantor.cred', 'name']) writeFileSync(join(sd, 'authority', f), readFileSync(join(state, 'authority', f)), { mode: 0o600 });
    const garbage = Buffer.alloc(8192, 0xab);
    writeFileSync(join(sd, 'agent.db'), garbage);
    const r = await runAgent(['run', '--embedded', '--state', sd, '--port', String(await freePort()), '--metrics', 'off', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('STORE_CORRUPT');
    expect(readFileSync(join(sd, 'agent.db')).equals(garbage)).toBe(true);
  });

  it('keeps signing and committing with an unreachable broker, and reports it unhealthy', async () => {
    const sd = join(dir, 'nobroker');
    const opsPort = await freePort();
    const a = spawnAgent(['run', '--embedded', '--state', sd, '--broker', `mqtt://127.0.0.1:${await freePort()}`, '--metrics', `127.0.0.1:${opsPort}`, '--quiet', '--envelope-interval-ms', '100']);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/healthz`).catch(() => undefined)) !== undefined, 20_000, 'the ops endpoint');
    const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { components: Record<string, { ok: boolean }> }).components.broker!.ok).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const db = keptDatabase(join(sd, 'agent.db'), { readonly: true });
    try {
      const committed = (db.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n;
      const pending = (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n;
      expect(committed).toBeGreaterThan(5);
      expect(pending).toBe(committed); // all kept for delivery; nothing marked delivered without a PUBACK
    } finally {
      db.close();
    }
  });

  it('verify accepts the exported chain and names the seq of a tampered observation', async () => {
    const out = join(dir, 'chain.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out])).code).toBe(0);
    const anchor = join(state, 'authority', 'anchor.cose');
    const ok = await runAgent(['verify', '--anchor', anchor, '--file', out]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/^\d+ observation\(s\), 0 duplicate\(s\), 0 failure\(s\)/);

    const bytes = readFileSync(out);
    const tampered = Buffer.from(bytes);
    const at = tampered.length - 10; // inside the last observation's signature
    tampered[at] = tampered[at]! ^ 0x01;
    writeFileSync(out, tampered);
    const bad = await runAgent(['verify', '--anchor', anchor, '--file', out]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^seq \d+: OBS_BAD_SIGNATURE/m);

    const wrongAnchor = join(dir, 'other-anchor');
    expect((await runAgent(['authority', 'init', '--dir', wrongAnchor])).code).toBe(0);
    writeFileSync(out, bytes);
    const foreign = await runAgent(['verify', '--anchor', join(wrongAnchor, 'anchor.cose'), '--file', out]);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain('CHAIN_UNKNOWN_ANCHOR');
  });

  it('refuses a second agent on the same database with STORE_IN_USE', async () => {
    const first = spawnAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet']);
    try {
      await waitFor(() => first.stdout().includes('broker mqtt://'), 20_000, 'the first agent');
      const second = await runAgent(['run', '--embedded', '--state', state, '--port', String(await freePort()), '--metrics', 'off', '--quiet']);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain('STORE_IN_USE');
    } finally {
      first.proc.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }
  });

  it('verifies an export that starts after seq 1 (pruned by retention) unless the genesis is required', async () => {
    const out = join(dir, 'partial.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out, '--from', '5'])).code).toBe(0);
    const anchor = join(state, 'authority', 'anchor.cose');
    const ok = await runAgent(['verify', '--anchor', anchor, '--file', out]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stderr).toContain('starts at seq 5');
    const strict = await runAgent(['verify', '--anchor', anchor, '--file', out, '--require-genesis']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^seq 5: LINEAGE_GAP/m);
  });

  it('decode ais prints gpsd-named fields for the corpus and the reason for each rejected line', async () => {
    const input = Buffer.concat([readFileSync(join(corpus, 'sample.aivdm')), Buffer.from('!AIVDM,1,1,,A,garbage*00\r\n')]);
    const r = await runAgent(['decode', 'ais'], input);
    const messages = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: number; mmsi: number });
    expect(messages.length).toBeGreaterThan(10);
    expect(messages.every((m) => typeof m.mmsi === 'number' && typeof m.type === 'number')).toBe(true);
    expect(r.stderr).toContain('AIS_BAD_CHECKSUM');
    expect(r.code).toBe(1);
  });

  it('decode nmea and rfid-em4100 read stdin', async () => {
    const nmea = await runAgent(['decode', 'nmea'], Buffer.from('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n'));
    expect(nmea.code).toBe(0);
    expect(JSON.parse(nmea.stdout.trim().split('\n')[0]!)).toMatchObject({ sentence: 'GGA' });
    // RDM6300 frame for tag 62E3086CED: STX, 10 hex data, XOR checksum 08, ETX.
    const rfid = await runAgent(['decode', 'rfid-em4100'], Buffer.concat([Buffer.from([0x02]), Buffer.from('62E3086CED08'), Buffer.from([0x03])]));
    expect(rfid.stdout).toContain('62E3086CED');
  });

  it('decode nmea on 500,000 garbage lines prints a bounded number of reject lines and says how many it held back', async () => {
    const r = await runAgent(['decode', 'nmea'], Buffer.from('$\n'.repeat(500_000)));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { code: string; suppressed?: number });
    const detailed = lines.filter((l) => l.code !== 'DECODE_REJECTS_SUPPRESSED').length;
    const held = lines.reduce((n, l) => n + (l.suppressed ?? 0), 0);
    // Every rejected line is either printed or counted in a summary; at most 21 lines per
    // second of run time, so far fewer lines than rejects (one per 100 would take minutes).
    expect(detailed + held).toBe(500_000);
    expect(lines.length).toBeLessThan(5_000);
  });
});

describe('place-agent verify --broker', () => {
  it('verifies a live chain from the broker (signatures, credential chain, lineage) and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-vb-'));
    const port = await freePort();
    const a = spawnAgent(['run', '--embedded', '--state', dir, '--port', String(port), '--metrics', 'off', '--quiet', '--envelope-interval-ms', '100']);
    try {
      // Generous: the first start generates keys and compiles through tsx; under load it took over 20 s.
    await waitFor(() => a.stdout().includes('broker mqtt://'), 50_000, 'the demo to start');
      const r = await runAgent(['verify', '--anchor', join(dir, 'authority', 'anchor.cose'), '--broker', `mqtt://127.0.0.1:${port}`, '--place', 'urn:place:DEMO:berth:1', '--count', '20', '--timeout', '10']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^(2\d|\d{3,}) observation\(s\), \d+ duplicate\(s\), 0 failure\(s\)/m);
    } finally {
      a.proc.kill('SIGTERM');
      await a.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A configured gateway end to end, as an installer sets one up: an authority issues the device
 * credential for the key made by `keys init`, the configuration names a GNSS receiver on a serial
 * port (a real pty through socat, opened with node-serialport) and an AIS receiver on another,
 * the broker is a real mosquitto. Readings flow into signed envelopes; a grant published on the
 * broker and an AIS position inside its window give a signed `arrived` attestation echoing the
 * grant's nonce; a forged copy of the grant is refused and counted on /metrics
 * (place_agent_errors_total{component="agent", code="GRANT_BAD_SIGNATURE"}), nothing signed for it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { storedObservations } from '../support/stored-observations.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { PlaceRig } from '../../hil/place-rig.ts';
import { freePort } from '../../hil/ports.ts';
import { waitFor } from './agent-process.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';
import { keptDatabase } from '../support/kept-database.ts';
import { positionA } from '../drivers/ais/ais-encoder.ts';

const PLACE = 'urn:place:TEST:berth:7';

function nmea(body: string): string {
  let x = 0;
  for (const c of body) x ^= c.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}

describe('configured agent with serial sources and mosquitto', () => {
  let rig: PlaceRig;
  let gnss: SocatPtyPair;
  let ais: SocatPtyPair;

  beforeAll(async () => {
    rig = await PlaceRig.start('configured', PLACE);
    gnss = await rig.pty('gnss');
    ais = await rig.pty('ais');
  });

  afterAll(() => rig?.close());

  it('signs envelopes from GNSS readings, attests an arrival against a broker-delivered grant and counts a forged copy of it', async () => {
    await rig.provision('urn:place-authority:test');
    const { dir, state, auth } = rig;
    const opsPort = await freePort();
    const cfg = await rig.configure('config.yaml', {
      envelope: { intervalSeconds: 1, placeType: 'berth', dims: { length_m: { value: 250 } } },
      presence: {
        holdSeconds: 5,
        // No physical sensor and the default threshold (0.6): a track of high-accuracy AIS
        // reports arrives uncorroborated (docs/place-profiles.md, "AIS alone").
        anchor: { lat: 48.3816, lon: -123.3954 },
      },
      metrics: { listen: `127.0.0.1:${opsPort}` },
      sources: [
        { id: 'gnss0', type: 'nmea-serial', port: gnss.linkA, baudRate: 9600 },
        { id: 'ais0', type: 'ais-serial', port: ais.linkA, baudRate: 38400 },
      ],
    });
    const agent = rig.run(cfg);

    const device = new SerialPort({ path: gnss.linkB, baudRate: 9600 });
    await new Promise<void>((r) => device.once('open', () => r()));
    const ticker = setInterval(() => {
      const t = new Date();
      const hhmmss = `${String(t.getUTCHours()).padStart(2, '0')}${String(t.getUTCMinutes()).padStart(2, '0')}${String(t.getUTCSeconds()).padStart(2, '0')}.00`;
      device.write(nmea(`GPGGA,${hhmmss},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,`));
    }, 250);
    try {
      await waitFor(async () => {
        const m = await fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text()).catch(() => '');
        return /place_agent_readings_total\{source="gnss0"\} [1-9]/.test(m);
      }, 30_000, 'GNSS readings through the pty');

      // A grant for a vessel, delivered over the broker as a counterparty would publish it.
      const grantFile = await rig.grant({ reservation: 'R1', unit: 'mmsi:371798000', toleranceM: 500 });
      // A type 1 report from MMSI 371798000 moored 20 m north of the anchor, position accuracy
      // flag 1 (better than 10 m, ITU-R M.1371-5 Table 46; positions in 1/10000 minute).
      const aisDevice = new SerialPort({ path: ais.linkB, baudRate: 38400 });
      await new Promise<void>((r) => aisDevice.once('open', () => r()));
      const line = positionA({ mmsi: 371798000, lat: Math.round((48.3816 + 20 / 111_195) * 600_000), lon: Math.round(-123.3954 * 600_000), accuracy: true, status: 5 });
      let polls = 0;
      await waitFor(async () => {
        if (polls++ % 20 === 0) aisDevice.write(line.trim() + '\r\n');
        const db = keptDatabase(join(state, 'agent.db'), { readonly: true });
        try {
          // A reservation observation is written at once (the grant's answer); wait for the attestation.
          return (db.prepare("SELECT COUNT(*) AS n FROM observations WHERE kind = 'presence'").get() as { n: number }).n > 0;
        } finally {
          db.close();
        }
      }, 30_000, 'a presence observation');
      await new Promise<void>((r) => aisDevice.close(() => r()));

      // A forgery of that grant (its signature's last byte flipped) on another topic: refused,
      // counted where an operator looks, and nothing on the chain for it (the grant it copies was answered already).
      const forged = new Uint8Array(readFileSync(grantFile));
      forged[forged.length - 1]! ^= 0x01;
      await rig.publish(`pm/v1/${PLACE}/grants/R1-copy`, Buffer.from(forged));
      const badSignatures = async () => Number(/^place_agent_errors_total\{component="agent",code="GRANT_BAD_SIGNATURE"\} (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text())?.[1] ?? 0);
      await waitFor(async () => (await badSignatures()) > 0, 30_000, 'the forged grant counted on /metrics');
      expect(await badSignatures()).toBe(1);
    } finally {
      clearInterval(ticker);
      await new Promise<void>((r) => device.close(() => r()));
    }
    agent.proc.kill('SIGTERM');
    expect(await agent.exited, agent.stderr()).toBe(0);

    const verifier = new ObservationVerifier([loadTrustAnchor(join(auth, 'anchor.cose'))]);
    const rows = storedObservations(join(state, 'agent.db'));
    for (const r of rows) expect(verifier.check(new Uint8Array(r.bytes)).ok).toBe(true);
    const envelopes = rows.filter((r) => r.kind === 'envelope');
    expect(envelopes.length).toBeGreaterThan(0);
    // The grant is answered on the chain before anything is attested against it, naming it by h().
    const bodyOf = (b: Uint8Array) => (decodeCbor(decodeSign1(b).payload) as Map<number, unknown>).get(CLAIM.body) as Map<string, unknown>;
    const grantHash = createHash('sha256').update(decodeSign1(new Uint8Array(readFileSync(join(dir, 'R1.grant')))).payload).digest('hex');
    const answer = rows.find((r) => r.kind === 'reservation' && bodyOf(r.bytes).get('event') === 'grant-accepted');
    expect(answer, 'a grant-accepted answer on the chain').toBeDefined();
    expect(rows.filter((r) => r.kind === 'reservation' && bodyOf(r.bytes).has('event')).map((r) => bodyOf(r.bytes).get('event'))).toEqual(['grant-accepted']);
    expect(Buffer.from(bodyOf(answer!.bytes).get('grant') as Uint8Array).toString('hex')).toBe(grantHash);
    const settled = rows.filter((r) => r.kind === 'presence' || (r.kind === 'reservation' && !bodyOf(r.bytes).has('event')));
    expect(settled.map((r) => r.kind)[0]).toBe('presence');
    expect(answer!.seq).toBeLessThan(settled[0]!.seq);
    const payload = decodeCbor(decodeSign1(new Uint8Array(settled[0]!.bytes)).payload) as Map<number, unknown>;
    const body = payload.get(CLAIM.body) as Map<string, unknown>;
    expect(body.get('reservation')).toBe('R1');
    expect(body.get('unit')).toEqual(['mmsi', '371798000']);
    expect(body.get('event')).toBe('arrived');
    // Two AIS reports at least: one radio message never makes an arrival; no sensor corroborated it.
    expect(body.get('corroborated')).toBe(false);
    expect((body.get('evidence') as Map<string, unknown>[]).length).toBeGreaterThanOrEqual(2);
    expect(body.get('modalities')).toEqual(['ais']);
    // Two 0.8 reports by noisy-OR, times the uncorroborated factor 0.7: 0.672, over the default 0.6.
    expect(body.get('conf')).toBeCloseTo(0.672, 3);
    // The attestation echoes the grant's challenge (claim 10).
    const grantPayload = decodeCbor(decodeSign1(new Uint8Array(readFileSync(join(dir, 'R1.grant')))).payload) as Map<number, unknown>;
    expect(Buffer.from(payload.get(CLAIM.nonce) as Uint8Array).equals(Buffer.from(grantPayload.get(CLAIM.nonce) as Uint8Array))).toBe(true);
  }, 120_000);

  it('starts with its GNSS receiver unplugged, reports the source down, and reads it once it appears', async () => {
    // A gateway of its own (state, authority, broker), beside the first test's.
    const site = await PlaceRig.start('configured-late', PLACE);
    await site.provision('urn:place-authority:late');
    const late = await site.pty('late', { start: false });
    const opsPort = await freePort();
    const cfg = await site.configure('late.yaml', { metrics: { listen: `127.0.0.1:${opsPort}` }, sources: [{ id: 'gnss-late', type: 'nmea-serial', port: late.linkA }] });
    const a = site.run(cfg);
    try {
      const health = async () => (await fetch(`http://127.0.0.1:${opsPort}/healthz`).then((r) => r.json()).catch(() => undefined)) as { sources: Record<string, { state: string; readings: number }> } | undefined;
      await waitFor(async () => ['down', 'starting'].includes((await health())?.sources['gnss-late']?.state ?? ''), 20_000, 'the missing receiver reported');
      expect(a.proc.exitCode).toBeNull();
      await late.start();
      const device = new SerialPort({ path: late.linkB, baudRate: 9600 });
      await new Promise<void>((r) => device.once('open', () => r()));
      const ticker = setInterval(() => device.write(nmea('GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')), 200);
      try {
        await waitFor(async () => ((await health())?.sources['gnss-late']?.readings ?? 0) > 0, 30_000, 'readings once the receiver appears');
        expect((await health())?.sources['gnss-late']?.state).toBe('up');
      } finally {
        clearInterval(ticker);
        await new Promise<void>((r) => device.close(() => r()));
      }
    } finally {
      a.proc.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      await site.close();
    }
  }, 120_000);
});

/**
 * A configured charger gateway (placeType charger, the shipped energy-meter Modbus profile and
 * an RDM6300 card reader) reading the real drivers through socat ptys, the broker a real
 * mosquitto, the agent the real binary. The test is the physical world: it changes the power
 * the meter measures and presents cards, and asserts the signed envelope follows within its
 * period (value, unit, sources) and that presence is attested only when the card is
 * corroborated by the meter, with exactly the observations expected and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SocatPtyPair } from '../../hil/pty.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { SimulatedModbusSlave } from '../../hil/modbus-slave.ts';
import { SimulatedRfidReader } from '../../hil/rfid-reader.ts';
import { runAgent, spawnAgent, waitFor, type AgentProcess } from './agent-process.ts';
import { storedObservations } from '../support/stored-observations.ts';
import { envelopeAfter as envelopeAfterIn, plain, gatewayConfigHead, provisionGateway, signedObservations, unitObservations, type EnvelopeDims } from '../support/place-gateway.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

const PLACE = 'urn:place:TEST:charger:1';
const CARD = '0415AB3C9E';
const STRANGER = '0A0B0C0D0E';

describe('charger gateway on real drivers through ptys', () => {
  let dir: string;
  let meterPty: SocatPtyPair;
  let cardPty: SocatPtyPair;
  let broker: Mosquitto;
  let meter: SimulatedModbusSlave;
  let reader: SimulatedRfidReader;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-charger-'));
    meterPty = new SocatPtyPair(join(dir, 'meter-agent'), join(dir, 'meter-device'));
    cardPty = new SocatPtyPair(join(dir, 'card-agent'), join(dir, 'card-device'));
    await meterPty.start();
    await cardPty.start();
    broker = await startMosquitto();
    meter = new SimulatedModbusSlave({ path: meterPty.linkB, baudRate: 9600 });
    // drivers/modbus/profiles/energy-meter.json: input registers, f32 high word first; 0x34 total power in W.
    meter.addUnit(1, { input: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [i, 0])) });
    meter.setFloat32(1, 'input', 0, 230.1);
    meter.setFloat32(1, 'input', 52, 0);
    await meter.open();
    reader = new SimulatedRfidReader({ path: cardPty.linkB, format: 'rdm6300' });
    await reader.open();
  }, 60_000);

  afterAll(async () => {
    if (agent && agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    await meter?.close();
    await reader?.close();
    await meterPty?.kill();
    await cardPty?.kill();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs free power and occupancy as the meter measures them, and attests a card only with the meter agreeing', async () => {
    const state = join(dir, 'state');
    const auth = join(dir, 'authority');
    await provisionGateway(state, auth, 'urn:place-authority:cpo', PLACE);
    const cfg = join(dir, 'charger.yaml');
    writeFileSync(
      cfg,
      [
        ...gatewayConfigHead(PLACE, state, auth, broker.url),
        'envelope:',
        '  intervalSeconds: 3',
        '  minIntervalSeconds: 0.2',
        '  placeType: charger',
        '  dims:',
        '    max_kw: { value: 22 }',
        'presence:',
        '  holdSeconds: 4',
        '  atPlaceM: 5',
        'position: { lat: 52.52194, lon: 13.41322, accuracyM: 5 }',
        'metrics:',
        '  enabled: false',
        'sources:',
        '  - id: meter',
        '    type: modbus',
        `    port: ${meterPty.linkA}`,
        '    baudRate: 9600',
        '    pollSeconds: 0.3',
        '    staleSeconds: 5',
        '    slaves: [{ unit: 1, profile: energy-meter }]',
        '  - id: card-reader',
        '    type: rfid-em4100',
        `    port: ${cardPty.linkA}`,
        '    holdSeconds: 1',
      ].join('\n') + '\n',
    );
    const check = await runAgent(['config', 'check', cfg]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    agent = spawnAgent(['run', '--config', cfg]);

    const db = join(state, 'agent.db');
    const signed = () => signedObservations(db);
    const envelopeAfter = (seq: number, pred: (d: EnvelopeDims) => boolean, what: string, ms?: number) => envelopeAfterIn(db, seq, pred, what, ms);
    const headSeq = () => signed().at(-1)?.seq ?? 0;

    // Idle: nothing drawn, 22 kW free, no vehicle.
    const idle = await envelopeAfter(0, (d) => d.available_kw?.value === 22 && d.occupied?.value === false, 'an idle envelope', 60_000);
    expect(idle.body.dims).toMatchObject({
      max_kw: { value: 22, unit: 'kW', sources: ['config'] },
      available_kw: { value: 22, unit: 'kW', sources: ['meter'] },
      occupied: { value: false, unit: 'bool', sources: ['meter'] },
    });
    const valid = idle.body.valid as [number, number];
    expect(valid[1]).toBeGreaterThan(valid[0]);
    // Claim 264: the surveyed position (this cabinet has no GNSS receiver).
    expect(plain(idle.claims.get(CLAIM.location))).toMatchObject({ 1: 52.52194, 2: 13.41322, 4: 5 });

    // A vehicle draws 7 kW: the change is signed at once, well inside the 3 s period.
    let mark = headSeq();
    const t0 = Date.now();
    meter.setFloat32(1, 'input', 52, 7000);
    const charging = await envelopeAfter(mark, (d) => d.available_kw?.value === 15, 'free power 15 kW');
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(charging.body.dims).toMatchObject({ available_kw: { value: 15, unit: 'kW' }, occupied: { value: true, unit: 'bool', sources: ['meter'] } });

    // A grant for the driver's card, delivered over the broker; the card is presented while the meter draws.
    const now = Date.now();
    const grantFile = join(dir, 'R1.grant');
    const g = await runAgent(['authority', 'grant', '--dir', auth, '--place', PLACE, '--reservation', 'R1', '--unit', `rfid:${CARD}`, '--start', String(now - 1000), '--end', String(now + 600_000), '--tolerance', '1', '--grace', '60000', '--out', grantFile]);
    expect(g.code, g.stderr).toBe(0);
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await pub.publishAsync(`pm/v1/${PLACE}/grants/R1`, readFileSync(grantFile), { qos: 1, retain: true });
    await pub.endAsync();
    await new Promise((r) => setTimeout(r, 1500));
    const presentCard = async (tag: string, forMs: number) => {
      const end = Date.now() + forMs;
      while (Date.now() < end) {
        await reader.sendTag(tag);
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    await presentCard(CARD, 2500);
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'arrived'), 20_000, 'an arrival');
    // A card with no grant, at the same charger while it draws power: one refusal.
    await presentCard(STRANGER, 1500);
    await waitFor(() => signed().some((o) => o.kind === 'reservation' && o.body.reason === 'no-grant'), 20_000, 'a refusal');

    // The vehicle stops drawing: free power back to 22 kW, unoccupied.
    mark = headSeq();
    meter.setFloat32(1, 'input', 52, 0);
    await envelopeAfter(mark, (d) => d.available_kw?.value === 22 && d.occupied?.value === false, 'free power back to 22 kW');
    // The card has gone (its sighting closed, then the 4 s hold): departed.
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');

    agent.proc.kill('SIGTERM');
    expect(await agent.exited, agent.stderr()).toBe(0);

    const verifier = new ObservationVerifier([loadTrustAnchor(join(auth, 'anchor.cose'))]);
    for (const r of storedObservations(db)) expect(verifier.check(r.bytes).ok).toBe(true);
    const all = signed();
    // Exactly these presence-side observations, nothing else signed about units.
    expect(unitObservations(all)).toEqual([`presence:arrived:rfid:${CARD}`, `reservation:no-grant:rfid:${STRANGER}`, `presence:departed:rfid:${CARD}`]);
    const arrived = all.find((o) => o.body.event === 'arrived')!;
    expect(arrived.body).toMatchObject({ reservation: 'R1', corroborated: true, modalities: ['meter', 'rfid'], flags: [] });
    expect(arrived.body.conf as number).toBeGreaterThanOrEqual(0.6);
    const grantPayload = decodeCbor(decodeSign1(new Uint8Array(readFileSync(grantFile))).payload) as Map<number, unknown>;
    expect(Buffer.from(arrived.claims.get(CLAIM.nonce) as Uint8Array).equals(Buffer.from(grantPayload.get(CLAIM.nonce) as Uint8Array))).toBe(true);
  }, 240_000);
});

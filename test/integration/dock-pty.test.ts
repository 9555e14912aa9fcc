/**
 * A configured dock gateway (placeType dock) reading the MCU reference firmware's host build
 * (pm-sim: channel 0 the door's reed contact, channel 1 the bay's distance in mm) and an
 * ID-12LA badge reader through socat ptys, the broker a real mosquitto, the agent the real
 * binary. The test moves the physical world by rewriting the firmware's --world file (door
 * open or shut, trailer in the bay or not) and presents badges; the signed envelope must follow
 * at once, and a driver's badge is attested only while the bay sensor sees a trailer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SocatPtyPair } from '../../hil/pty.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { SimulatedRfidReader } from '../../hil/rfid-reader.ts';
import { startPtyRig, type PtyRig } from '../../firmware-bridge/host-sim/pty-rig.ts';
import { runAgent, spawnAgent, waitFor, type AgentProcess } from './agent-process.ts';
import { storedObservations } from '../support/stored-observations.ts';
import { envelopeAfter as envelopeAfterIn, gatewayConfigHead, provisionGateway, signedObservations, unitObservations, type EnvelopeDims } from '../support/place-gateway.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';

const PLACE = 'urn:place:TEST:dock:12';
const BADGE = '0415AB3C9E';

describe('dock gateway on the MCU firmware and a badge reader through ptys', () => {
  let dir: string;
  let world: string;
  let rig: PtyRig;
  let badgePty: SocatPtyPair;
  let reader: SimulatedRfidReader;
  let broker: Mosquitto;
  let agent: AgentProcess | undefined;
  /** The physical state the firmware's sensors read: door contact (1 open), bay distance in mm. */
  const setWorld = (door: 0 | 1, bayMm: number) => writeFileSync(world, `${door} ${bayMm} 2150\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-dock-'));
    world = join(dir, 'world');
    setWorld(0, 8000);
    rig = await startPtyRig({ firmware: { heartbeatMs: 200, reportMs: 100, world } });
    badgePty = new SocatPtyPair(join(dir, 'badge-agent'), join(dir, 'badge-device'));
    await badgePty.start();
    reader = new SimulatedRfidReader({ path: badgePty.linkB, format: 'id12' });
    await reader.open();
    broker = await startMosquitto();
  }, 60_000);

  afterAll(async () => {
    if (agent && agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    await reader?.close();
    await badgePty?.kill();
    await rig?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs the door and the bay as the sensors read them, and attests a badge only with a trailer in the bay', async () => {
    const state = join(dir, 'state');
    const auth = join(dir, 'authority');
    await provisionGateway(state, auth, 'urn:place-authority:dc', PLACE);
    const cfg = join(dir, 'dock.yaml');
    writeFileSync(
      cfg,
      [
        ...gatewayConfigHead(PLACE, state, auth, broker.url),
        'envelope:',
        '  intervalSeconds: 30',
        '  minIntervalSeconds: 0.2',
        '  placeType: dock',
        '  dims:',
        '    occupied:',
        '      feeds: [{ source: door-mcu, point: 1, rule: { kind: range-below, clearM: 3, hysteresisM: 0.2 } }]',
        'presence:',
        '  holdSeconds: 4',
        '  atPlaceM: 10',
        'metrics:',
        '  enabled: false',
        'sources:',
        '  - id: door-mcu',
        '    type: mcu',
        `    port: ${rig.hostPath}`,
        '    baudRate: 115200',
        '    heartbeatSeconds: 1',
        '    staleSeconds: 5',
        '  - id: badge-reader',
        '    type: rfid-em4100',
        `    port: ${badgePty.linkA}`,
        '    framing: id12',
        '    holdSeconds: 1',
      ].join('\n') + '\n',
    );
    const check = await runAgent(['config', 'check', cfg]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    agent = spawnAgent(['run', '--config', cfg]);
    const db = join(state, 'agent.db');
    const signed = () => signedObservations(db);
    const headSeq = () => signed().at(-1)?.seq ?? 0;
    // The envelope period is 30 s: anything seen within 6 s is the change signed at once.
    const changeTo = async (pred: (d: EnvelopeDims) => boolean, what: string) => {
      const mark = headSeq();
      const t0 = Date.now();
      const e = await envelopeAfterIn(db, mark, pred, what);
      expect(Date.now() - t0, `${what} within 6 s`).toBeLessThan(6000);
      return e;
    };

    const shut = await envelopeAfterIn(db, 0, (d) => d.door_open?.value === false && d.occupied?.value === false, 'door shut, bay empty', 60_000);
    expect(shut.body.dims).toMatchObject({ door_open: { value: false, unit: 'bool', sources: ['door-mcu'] }, occupied: { value: false, unit: 'bool', sources: ['door-mcu'] } });
    expect(Object.keys(shut.body.dims as object).sort()).toEqual(['door_open', 'occupied']); // no UHF reader: no trailer_present

    setWorld(1, 8000);
    const open = await changeTo((d) => d.door_open?.value === true, 'the door opening');
    expect(open.body.dims).toMatchObject({ door_open: { value: true, unit: 'bool', sources: ['door-mcu'] }, occupied: { value: false } });

    // A badge while the bay is empty: the reader alone is no proof.
    const now = Date.now();
    const grantFile = join(dir, 'R1.grant');
    const g = await runAgent(['authority', 'grant', '--dir', auth, '--place', PLACE, '--reservation', 'R1', '--unit', `rfid:${BADGE}`, '--start', String(now - 1000), '--end', String(now + 600_000), '--tolerance', '1', '--grace', '60000', '--out', grantFile]);
    expect(g.code, g.stderr).toBe(0);
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await pub.publishAsync(`pm/v1/${PLACE}/grants/R1`, readFileSync(grantFile), { qos: 1, retain: true });
    await pub.endAsync();
    await new Promise((r) => setTimeout(r, 1500));
    await reader.sendTag(BADGE);
    // The episode waits its 4 s hold for corroboration; the bay stays empty: one flagged refusal.
    await waitFor(() => signed().some((o) => o.kind === 'reservation' && o.body.reason === 'not-credible'), 20_000, 'a not-credible refusal');

    // A trailer backs in (1.2 m from the sensor), the driver badges again: arrived.
    setWorld(1, 1200);
    await changeTo((d) => d.occupied?.value === true, 'the bay filling');
    await new Promise((r) => setTimeout(r, 6000)); // the first episode closes (hold 4 s)
    for (let i = 0; i < 4; i++) {
      await reader.sendTag(BADGE);
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'arrived'), 20_000, 'an arrival');

    setWorld(0, 8000);
    await changeTo((d) => d.door_open?.value === false && d.occupied?.value === false, 'door shut and bay empty again');
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');

    agent.proc.kill('SIGTERM');
    expect(await agent.exited, agent.stderr()).toBe(0);
    const verifier = new ObservationVerifier([loadTrustAnchor(join(auth, 'anchor.cose'))]);
    for (const r of storedObservations(db)) expect(verifier.check(r.bytes).ok).toBe(true);
    const all = signed();
    expect(unitObservations(all)).toEqual([`reservation:not-credible:rfid:${BADGE}`, `presence:arrived:rfid:${BADGE}`, `presence:departed:rfid:${BADGE}`]);
    expect(all.find((o) => o.kind === 'reservation' && o.body.reason === 'not-credible')!.body).toMatchObject({ flags: ['no-physical-evidence'], corroborated: false });
    expect(all.find((o) => o.body.event === 'arrived')!.body).toMatchObject({ reservation: 'R1', corroborated: true, modalities: ['range', 'rfid'] });
  }, 240_000);
});

/**
 * A configured dock gateway (placeType dock) reading the MCU reference firmware's host build
 * (pm-sim: channel 0 the door's reed contact, channel 1 the bay's distance in mm) and an
 * ID-12LA badge reader through socat ptys, the broker a real mosquitto, the agent the real
 * binary. The test moves the physical world by rewriting the firmware's --world file (door
 * open or shut, trailer in the bay or not) and presents badges; the signed envelope must follow
 * at once, and a driver's badge is attested only while the bay sensor sees a trailer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaceRig } from '../../hil/place-rig.ts';
import type { SimulatedRfidReader } from '../../hil/rfid-reader.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { waitFor } from './agent-process.ts';
import { envelopeAfter, envelopeChange, signedObservations, unitObservations, unverified } from '../support/place-gateway.ts';

const PLACE = 'urn:place:TEST:dock:12';
const BADGE = '0415AB3C9E';

describe('dock gateway on the MCU firmware and a badge reader through ptys', () => {
  let rig: PlaceRig;
  let mcu: Awaited<ReturnType<PlaceRig['mcu']>>;
  let badgePty: SocatPtyPair;
  let reader: SimulatedRfidReader;
  /** The physical state the firmware's sensors read: door contact (1 open), bay distance in mm. */
  const setWorld = (door: 0 | 1, bayMm: number) => mcu.setChannels([door, bayMm, 2150]);

  beforeAll(async () => {
    rig = await PlaceRig.start('dock', PLACE);
    mcu = await rig.mcu({ heartbeatMs: 200, reportMs: 100 }, [0, 8000, 2150]);
    ({ pty: badgePty, reader } = await rig.rfidReader('badge', 'id12'));
  }, 60_000);

  afterAll(() => rig?.close());

  it('signs the door and the bay as the sensors read them, and attests a badge only with a trailer in the bay', async () => {
    await rig.provision('urn:place-authority:dc');
    const cfg = await rig.configure('dock.yaml', {
      envelope: { intervalSeconds: 30, minIntervalSeconds: 0.2, placeType: 'dock', dims: { occupied: { feeds: [{ source: 'door-mcu', point: 1, rule: { kind: 'range-below', clearM: 3, hysteresisM: 0.2 } }] } } },
      presence: { holdSeconds: 4, atPlaceM: 10 },
      sources: [
        { id: 'door-mcu', type: 'mcu', port: mcu.hostPath, baudRate: 115200, heartbeatSeconds: 1, staleSeconds: 5 },
        { id: 'badge-reader', type: 'rfid-em4100', port: badgePty.linkA, framing: 'id12', holdSeconds: 1 },
      ],
    });
    rig.run(cfg);
    const db = rig.db;
    const signed = () => signedObservations(db);

    const shut = await envelopeAfter(db, 0, (d) => d.door_open?.value === false && d.occupied?.value === false, 'door shut, bay empty', 60_000);
    expect(shut.body.dims).toMatchObject({ door_open: { value: false, unit: 'bool', sources: ['door-mcu'] }, occupied: { value: false, unit: 'bool', sources: ['door-mcu'] } });
    expect(Object.keys(shut.body.dims as object).sort()).toEqual(['door_open', 'occupied']); // no UHF reader: no trailer_present

    setWorld(1, 8000);
    const open = await envelopeChange(db, (d) => d.door_open?.value === true, 'the door opening');
    expect(open.body.dims).toMatchObject({ door_open: { value: true, unit: 'bool', sources: ['door-mcu'] }, occupied: { value: false } });

    // A badge while the bay is empty: the reader alone is no proof.
    await rig.grant({ reservation: 'R1', unit: `rfid:${BADGE}`, toleranceM: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    await reader.sendTag(BADGE);
    // The episode waits its 4 s hold for corroboration; the bay stays empty: one flagged refusal.
    await waitFor(() => signed().some((o) => o.kind === 'reservation' && o.body.reason === 'not-credible'), 20_000, 'a not-credible refusal');

    // A trailer backs in (1.2 m from the sensor), the driver badges again: arrived.
    setWorld(1, 1200);
    await envelopeChange(db, (d) => d.occupied?.value === true, 'the bay filling');
    await new Promise((r) => setTimeout(r, 6000)); // the first episode closes (hold 4 s)
    for (let i = 0; i < 4; i++) {
      await reader.sendTag(BADGE);
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'arrived'), 20_000, 'an arrival');

    setWorld(0, 8000);
    await envelopeChange(db, (d) => d.door_open?.value === false && d.occupied?.value === false, 'door shut and bay empty again');
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');

    const stopped = await rig.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(unverified(db, rig.anchor)).toEqual([]);
    const all = signed();
    expect(unitObservations(all)).toEqual([`reservation:not-credible:rfid:${BADGE}`, `presence:arrived:rfid:${BADGE}`, `presence:departed:rfid:${BADGE}`]);
    expect(all.find((o) => o.kind === 'reservation' && o.body.reason === 'not-credible')!.body).toMatchObject({ flags: ['no-physical-evidence'], corroborated: false });
    expect(all.find((o) => o.body.event === 'arrived')!.body).toMatchObject({ reservation: 'R1', corroborated: true, modalities: ['range', 'rfid'] });
  }, 240_000);
});

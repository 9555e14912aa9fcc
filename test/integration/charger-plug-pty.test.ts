/**
 * A charger whose plug state comes from its cabinet microcontroller: the MCU reference
 * firmware's host build (pm-sim; its channel 0 contact wired as the plug switch) over the
 * firmware-bridge UART protocol, the shipped energy-meter profile on a Modbus slave, and two
 * RDM6300 card readers (one per side of the cabinet), each through a socat pty; mosquitto; the
 * real binary, configured as agent/config/examples/charger.yaml declares occupancy (plug contact,
 * or power drawn) and free connectors (plug contacts). The test plugs a vehicle in that draws
 * nothing, charges it, unplugs it; presents one card at both readers at once (a clone), then
 * at one reader alone after the driver's acceptance (signed with `unit accept`) came over the
 * broker; and asserts the signed envelopes and exactly the unit observations, the attestations
 * naming the acceptance.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlaceRig } from '../../hil/place-rig.ts';
import { addEnergyMeter, setPowerW } from '../../hil/energy-meter.ts';
import type { SimulatedModbusSlave } from '../../hil/modbus-slave.ts';
import type { SimulatedRfidReader } from '../../hil/rfid-reader.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { runAgent, waitFor } from './agent-process.ts';
import { envelopeAfter, envelopeChange, signedObservations, unitObservations, unverified } from '../support/place-gateway.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';

const PLACE = 'urn:place:TEST:charger:2';
const CARD = '0415AB3C9E';

describe('charger plug state from the cabinet MCU, and a card at two readers, through ptys', () => {
  let rig: PlaceRig;
  let mcu: Awaited<ReturnType<PlaceRig['mcu']>>;
  let meterPty: SocatPtyPair;
  let meter: SimulatedModbusSlave;
  const readerPty: SocatPtyPair[] = [];
  const readers: SimulatedRfidReader[] = [];
  /** What the firmware's sensors read: channel 0 the plug switch (1 plugged in); 1 and 2 unused here. */
  const setPlug = (plugged: 0 | 1) => mcu.setChannels([plugged, 8000, 2150]);

  beforeAll(async () => {
    rig = await PlaceRig.start('plug', PLACE);
    mcu = await rig.mcu({ heartbeatMs: 200, reportMs: 100 }, [0, 8000, 2150]);
    ({ pty: meterPty, slave: meter } = await rig.modbusSlave('meter', 9600, (m) => addEnergyMeter(m)));
    for (const side of ['a', 'b']) {
      const { pty, reader } = await rig.rfidReader(`reader-${side}`, 'rdm6300');
      readerPty.push(pty);
      readers.push(reader);
    }
  }, 60_000);

  afterAll(() => rig?.close());

  it('signs occupancy and free connectors from the plug contact, refuses a card read at two readers at once, and names the driver\'s acceptance in the arrival', async () => {
    await rig.provision('urn:place-authority:cpo');
    const cfg = await rig.configure('charger.yaml', {
      envelope: {
        intervalSeconds: 30,
        minIntervalSeconds: 0.2,
        placeType: 'charger',
        dims: {
          max_kw: { value: 22 },
          occupied: {
            feeds: [
              { source: 'cabinet-mcu', point: 0, rule: { kind: 'contact' } },
              { source: 'meter', point: 'active_power', rule: { kind: 'threshold', above: 0.5, hysteresis: 0.3, silentBelow: true } },
            ],
          },
          connectors_free: { rule: { kind: 'free-count' }, feeds: [{ source: 'cabinet-mcu', point: 0 }] },
        },
      },
      presence: { holdSeconds: 4, atPlaceM: 5 },
      sources: [
        { id: 'cabinet-mcu', type: 'mcu', port: mcu.hostPath, baudRate: 115200, heartbeatSeconds: 1, staleSeconds: 5 },
        { id: 'meter', type: 'modbus', port: meterPty.linkA, baudRate: 9600, pollSeconds: 0.3, staleSeconds: 5, slaves: [{ unit: 1, profile: 'energy-meter' }] },
        ...['a', 'b'].map((side, i) => ({ id: `reader-${side}`, type: 'rfid-em4100', port: readerPty[i]!.linkA, holdSeconds: 1 })),
      ],
    });
    rig.run(cfg);
    const { db, dir, auth } = rig;
    const signed = () => signedObservations(db);

    const idle = await envelopeAfter(db, 0, (d) => d.occupied?.value === false && d.connectors_free?.value === 1 && d.available_kw?.value === 22, 'an idle charger', 60_000);
    expect(idle.body.dims).toMatchObject({ occupied: { value: false, unit: 'bool', sources: ['cabinet-mcu'] }, connectors_free: { value: 1, unit: 'count', sources: ['cabinet-mcu'] } });

    // A grant for the card; the card is read at both readers at once while the socket is empty,
    // then a vehicle is plugged in inside the hold time: a clone, judged with the plug agreeing.
    const grantFile = await rig.grant({ reservation: 'R1', unit: `rfid:${CARD}`, toleranceM: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 4; i++) {
      await readers[i % 2]!.sendTag(CARD);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Plugged in, drawing nothing (a full battery): occupied from the plug alone, no connector free.
    setPlug(1);
    const plugged = await envelopeChange(db, (d) => d.occupied?.value === true, 'the plug in the socket');
    expect(plugged.body.dims).toMatchObject({ occupied: { value: true, sources: ['cabinet-mcu'] }, connectors_free: { value: 0 }, available_kw: { value: 22 } });
    await waitFor(() => signed().some((o) => o.kind === 'reservation' && o.body.reason === 'not-credible'), 20_000, 'the cloned card refused');

    // The driver's acceptance of R1, signed with the vehicle's own unit credential and published
    // on the acceptance topic: identity evidence the arrival will name.
    const unitState = join(dir, 'vehicle');
    expect((await runAgent(['keys', 'init', '--state', unitState])).code).toBe(0);
    expect((await runAgent(['keys', 'show', '--state', unitState, '--public-out', join(dir, 'vehicle.pub')])).code).toBe(0);
    const cred = await runAgent(['authority', 'issue', '--dir', auth, '--subject', `urn:unit:rfid:${CARD}`, '--key', join(dir, 'vehicle.pub'), '--places', PLACE, '--level', 'unit', '--units', `rfid:${CARD}`, '--out', join(dir, 'vehicle.cred')]);
    expect(cred.code, cred.stderr).toBe(0);
    const acceptFile = join(dir, 'R1.accept');
    const acc = await runAgent(['unit', 'accept', '--key', join(unitState, 'device.key'), '--credential', join(dir, 'vehicle.cred'), '--chain', join(auth, 'root.cred'), '--grant', grantFile, '--anchor', join(auth, 'anchor.cose'), '--out', acceptFile]);
    expect(acc.code, acc.stderr).toBe(0);
    await rig.publish(`pm/v1/${PLACE}/accept/R1`, readFileSync(acceptFile));

    // The first episode closes (sightings 1 s, hold 4 s); the card at one reader alone arrives.
    await new Promise((r) => setTimeout(r, 7000));
    for (let i = 0; i < 6; i++) {
      await readers[0]!.sendTag(CARD);
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'arrived'), 20_000, 'an arrival');

    // Charging at 7 kW, then unplugged.
    setPowerW(meter, 7000);
    const charging = await envelopeChange(db, (d) => d.available_kw?.value === 15, 'free power 15 kW');
    expect(charging.body.dims).toMatchObject({ occupied: { value: true, sources: ['cabinet-mcu', 'meter'] }, connectors_free: { value: 0 } });
    setPowerW(meter, 0);
    setPlug(0);
    await envelopeChange(db, (d) => d.occupied?.value === false && d.connectors_free?.value === 1 && d.available_kw?.value === 22, 'the socket free again');
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');

    const stopped = await rig.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(unverified(db, rig.anchor)).toEqual([]);
    const all = signed();
    expect(unitObservations(all)).toEqual([`reservation:not-credible:rfid:${CARD}`, `presence:arrived:rfid:${CARD}`, `presence:departed:rfid:${CARD}`]);
    const clone = all.find((o) => o.kind === 'reservation' && o.body.reason === 'not-credible')!;
    expect(clone.body).toMatchObject({ corroborated: true, flags: ['tag-two-readers'] });
    expect(clone.body.conf as number).toBeLessThan(0.6);
    // The plug contact (a contact channel: the firmware declares modality `door`) corroborates the card.
    const arrived = all.find((o) => o.body.event === 'arrived')!;
    expect(arrived.body).toMatchObject({ reservation: 'R1', corroborated: true, modalities: ['acceptance', 'door', 'rfid'], flags: [] });
    // It names the acceptance by h(acceptance), as does the departure.
    const h = createHash('sha256').update(decodeSign1(new Uint8Array(readFileSync(acceptFile))).payload).digest();
    for (const o of all.filter((x) => x.kind === 'presence')) expect(Buffer.from(o.body.acceptance as Uint8Array).equals(h)).toBe(true);
    expect((arrived.body.evidence as { src: string; h: string }[]).find((e) => e.src === 'acceptance')!.h).toBe(h.toString('hex'));
  }, 240_000);
});

/**
 * A configured charger gateway (placeType charger, the shipped energy-meter Modbus profile and
 * an RDM6300 card reader) reading the real drivers through socat ptys, the broker a real
 * mosquitto, the agent the real binary. The test is the physical world: it changes the power
 * the meter measures and presents cards, and asserts the signed envelope follows within its
 * period (value, unit, sources) and that presence is attested only when the card is
 * corroborated by the meter, with exactly the observations expected and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PlaceRig } from '../../hil/place-rig.ts';
import { addEnergyMeter, setPowerW } from '../../hil/energy-meter.ts';
import type { SimulatedModbusSlave } from '../../hil/modbus-slave.ts';
import type { SimulatedRfidReader } from '../../hil/rfid-reader.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { waitFor } from './agent-process.ts';
import { envelopeAfter, envelopeChange, plain, signedObservations, unitObservations, unverified } from '../support/place-gateway.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

const PLACE = 'urn:place:TEST:charger:1';
const CARD = '0415AB3C9E';
const STRANGER = '0A0B0C0D0E';

describe('charger gateway on real drivers through ptys', () => {
  let rig: PlaceRig;
  let meterPty: SocatPtyPair;
  let cardPty: SocatPtyPair;
  let meter: SimulatedModbusSlave;
  let reader: SimulatedRfidReader;

  beforeAll(async () => {
    rig = await PlaceRig.start('charger', PLACE);
    ({ pty: meterPty, slave: meter } = await rig.modbusSlave('meter', 9600, (m) => addEnergyMeter(m)));
    ({ pty: cardPty, reader } = await rig.rfidReader('card', 'rdm6300'));
  }, 60_000);

  afterAll(() => rig?.close());

  it('signs free power and occupancy as the meter measures them, and attests a card only with the meter agreeing', async () => {
    await rig.provision('urn:place-authority:cpo');
    const cfg = await rig.configure('charger.yaml', {
      envelope: { intervalSeconds: 3, minIntervalSeconds: 0.2, placeType: 'charger', dims: { max_kw: { value: 22 } } },
      presence: { holdSeconds: 4, atPlaceM: 5 },
      position: { lat: 52.52194, lon: 13.41322, accuracyM: 5 },
      sources: [
        { id: 'meter', type: 'modbus', port: meterPty.linkA, baudRate: 9600, pollSeconds: 0.3, staleSeconds: 5, slaves: [{ unit: 1, profile: 'energy-meter' }] },
        { id: 'card-reader', type: 'rfid-em4100', port: cardPty.linkA, holdSeconds: 1 },
      ],
    });
    rig.run(cfg);

    const db = rig.db;
    const signed = () => signedObservations(db);
    const headSeq = () => signed().at(-1)?.seq ?? 0;

    // Idle: nothing drawn, 22 kW free, no vehicle.
    const idle = await envelopeAfter(db, 0, (d) => d.available_kw?.value === 22 && d.occupied?.value === false, 'an idle envelope', 60_000);
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
    setPowerW(meter, 7000);
    const charging = await envelopeChange(db, (d) => d.available_kw?.value === 15, 'free power 15 kW');
    expect(charging.body.dims).toMatchObject({ available_kw: { value: 15, unit: 'kW' }, occupied: { value: true, unit: 'bool', sources: ['meter'] } });

    // A grant for the driver's card, delivered over the broker; the card is presented while the meter draws.
    const grantFile = await rig.grant({ reservation: 'R1', unit: `rfid:${CARD}`, toleranceM: 1 });
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
    const mark = headSeq();
    setPowerW(meter, 0);
    await envelopeAfter(db, mark, (d) => d.available_kw?.value === 22 && d.occupied?.value === false, 'free power back to 22 kW');
    // The card has gone (its sighting closed, then the 4 s hold): departed.
    await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');

    const stopped = await rig.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(unverified(db, rig.anchor)).toEqual([]);
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

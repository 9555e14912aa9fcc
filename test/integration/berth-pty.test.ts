/**
 * A configured berth gateway (placeType berth) on real drivers through socat ptys: a radar
 * range sensor on a Modbus slave (the shipped ultrasonic-range profile), an AIS receiver and
 * the gateway's own GNSS receiver (RMC + GGA), mosquitto, the real binary. The test moves the
 * world: a granted transponder at the berth with no hull under the radar (AIS-only spoof), a
 * hull under the radar, vessels on the AIS, 300 vessels far out, a transponder that jumps 20 km,
 * the gateway carried off; it asserts the signed envelope, claims 264 and tq, and
 * exactly the observations about units that must be signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SerialPort } from 'serialport';
import { PlaceRig } from '../../hil/place-rig.ts';
import type { SimulatedModbusSlave } from '../../hil/modbus-slave.ts';
import type { SocatPtyPair } from '../../hil/pty.ts';
import { writeTo as write } from '../../hil/device-port.ts';
import { waitFor } from './agent-process.ts';
import { envelopeAfter, envelopeChange, plain, signedObservations, unitObservations, unverified, type EnvelopeDims } from '../support/place-gateway.ts';
import { positionA } from '../drivers/ais/ais-encoder.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

const PLACE = 'urn:place:TEST:berth:42';
const ANCHOR = { lat: 53.5461, lon: 9.9665 };
const SURVEYED = { lat: 53.54615, lon: 9.96641 };
const VESSEL = 211331640;
const SPOOFER = 244000001;
/** Holds a grant and transmits from the berth, but no hull is there: AIS alone. */
const GHOST = 244000002;

function nmea(body: string): string {
  let x = 0;
  for (const c of body) x ^= c.charCodeAt(0);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
const dm = (deg: number, width: number): string => {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  return `${String(d).padStart(width, '0')}${((a - d) * 60).toFixed(5).padStart(8, '0')}`;
};
/** RMC (date and time) and GGA for a fix at `p`, time now (NMEA 0183 RMC/GGA fields). */
function fixSentences(p: { lat: number; lon: number }): string {
  const t = new Date();
  const hh = (n: number) => String(n).padStart(2, '0');
  const time = `${hh(t.getUTCHours())}${hh(t.getUTCMinutes())}${hh(t.getUTCSeconds())}.00`;
  const date = `${hh(t.getUTCDate())}${hh(t.getUTCMonth() + 1)}${String(t.getUTCFullYear() % 100).padStart(2, '0')}`;
  const lat = `${dm(p.lat, 2)},${p.lat >= 0 ? 'N' : 'S'}`;
  const lon = `${dm(p.lon, 3)},${p.lon >= 0 ? 'E' : 'W'}`;
  return nmea(`GPRMC,${time},A,${lat},${lon},0.0,0.0,${date},,,A`) + nmea(`GPGGA,${time},${lat},${lon},1,10,0.8,12.0,M,40.0,M,,`);
}
/** A type 1 report `northM` metres north of the anchor (ITU-R M.1371-5: 1/10000 min units). */
const aisAt = (mmsi: number, northM: number): string =>
  positionA({ mmsi, lat: Math.round((ANCHOR.lat + northM / 111_195) * 600_000), lon: Math.round(ANCHOR.lon * 600_000), accuracy: true, status: 5 }) + '\r\n';

describe('berth gateway on real drivers through ptys', () => {
  let rig: PlaceRig;
  let radarPty: SocatPtyPair;
  let aisPty: SocatPtyPair;
  let gnssPty: SocatPtyPair;
  let radar: SimulatedModbusSlave;
  let ais: SerialPort;
  let gnssAt = SURVEYED;
  /** ultrasonic-range profile: distance in mm at holding register 0x0100, status at 0x0101. */
  const setRange = (mm: number) => radar.units.get(1)!.holding.set(256, mm);

  beforeAll(async () => {
    rig = await PlaceRig.start('berth', PLACE);
    ({ pty: radarPty, slave: radar } = await rig.modbusSlave('radar', 19200, (r) => r.addUnit(1, { holding: { 256: 12_000, 257: 0 } })));
    ({ pty: aisPty, port: ais } = await rig.serialDevice('ais', 38400));
    const gnss = await rig.serialDevice('gnss', 9600);
    gnssPty = gnss.pty;
    const ticker = setInterval(() => void write(gnss.port, fixSentences(gnssAt)), 500);
    rig.defer(() => clearInterval(ticker));
  }, 60_000);

  afterAll(() => rig?.close());

  it('signs the berth as radar and AIS see it, attests a corroborated arrival, flags a jumping transponder, ignores distant vessels', async () => {
    await rig.provision('urn:place-authority:port');
    const cfg = await rig.configure('berth.yaml', {
      envelope: { intervalSeconds: 30, minIntervalSeconds: 0.2, placeType: 'berth', dims: { length_m: { value: 320 }, beam_m: { value: 52 }, draft_m: { value: 14.5 } } },
      presence: { holdSeconds: 4, anchor: ANCHOR, atPlaceM: 150 },
      position: { ...SURVEYED, accuracyM: 3, maxDriftM: 100 },
      sources: [
        { id: 'radar', type: 'modbus', port: radarPty.linkA, baudRate: 19200, pollSeconds: 0.3, staleSeconds: 5, slaves: [{ unit: 1, profile: 'ultrasonic-range' }] },
        { id: 'ais', type: 'ais-serial', port: aisPty.linkA, baudRate: 38400 },
        { id: 'gnss', type: 'nmea-serial', port: gnssPty.linkA, baudRate: 9600 },
      ],
    });
    rig.run(cfg);
    const db = rig.db;
    const signed = () => signedObservations(db);

    // Free berth; the gateway's own fix and clock from GNSS.
    const free = await envelopeAfter(db, 0, (d) => d.occupied?.value === false, 'a free berth', 60_000);
    expect(free.body.dims).toMatchObject({
      length_m: { value: 320, unit: 'm', sources: ['config'] },
      beam_m: { value: 52, unit: 'm' },
      draft_m: { value: 14.5, unit: 'm' },
      occupied: { value: false, unit: 'bool', sources: ['radar'] },
    });
    await waitFor(() => (plain(signed().at(-1)?.claims.get(CLAIM.tq)) as { src?: string } | undefined)?.src === 'gnss', 30_000, 'time quality from GNSS');
    const latest = signed().at(-1)!;
    const loc = plain(latest.claims.get(CLAIM.location)) as Record<string, number>;
    expect(Math.abs(loc['1']! - SURVEYED.lat)).toBeLessThan(0.0001);
    expect(loc['4']).toBeLessThan(10); // the fix's accuracy, not the survey's 3 m stated blindly
    expect(plain(latest.claims.get(CLAIM.tq))).toMatchObject({ src: 'gnss' });

    // Grants for the vessel and for a transponder that will claim the berth with no hull under the radar.
    for (const [reservation, mmsi] of [['R1', VESSEL], ['R2', GHOST]] as const) await rig.grant({ reservation, unit: `mmsi:${mmsi}`, toleranceM: 100 });
    await new Promise((r) => setTimeout(r, 1500));

    // AIS-only spoof: accurate, steady reports from 15 m off the anchor inside its window, the
    // radar reading open water throughout. No arrival: one refusal once the hold time has passed.
    for (let i = 0; i < 4; i++) {
      await write(ais, aisAt(GHOST, 15));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const ghostRefused = () => signed().find((o) => o.kind === 'reservation' && (o.body.unit as string[] | undefined)?.[1] === String(GHOST));
    await waitFor(() => ghostRefused() !== undefined, 20_000, 'the AIS-only claim refused');
    expect(ghostRefused()!.body).toMatchObject({ reason: 'not-credible', corroborated: false, modalities: ['ais'], flags: ['no-physical-evidence'] });

    let vesselAlongside = true;
    const vesselTicker = setInterval(() => vesselAlongside && void write(ais, aisAt(VESSEL, 20)), 1000);
    try {
      setRange(4200);
      const occupied = await envelopeChange(db, (d) => d.occupied?.value === true, 'the berth occupied');
      expect((occupied.body.dims as EnvelopeDims).occupied!.sources).toContain('radar');
      await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'arrived'), 20_000, 'an arrival');

      // 300 vessels 5-20 km out: nothing about them is signed.
      let batch = '';
      for (let i = 0; i < 300; i++) batch += aisAt(300_000_000 + i, 5000 + i * 50);
      await write(ais, batch);
      // A transponder 20 km out, then at the berth 10 s later: a jump no hull can make.
      await write(ais, aisAt(SPOOFER, 20_000));
      await new Promise((r) => setTimeout(r, 10_000));
      for (let i = 0; i < 3; i++) {
        await write(ais, aisAt(SPOOFER, 10));
        await new Promise((r) => setTimeout(r, 1000));
      }
      await waitFor(() => signed().some((o) => o.kind === 'reservation' && (o.body.unit as string[] | undefined)?.[1] === String(SPOOFER)), 30_000, 'the jumping transponder refused');

      // The gateway carried 2 km off its surveyed position.
      gnssAt = { lat: SURVEYED.lat + 0.018, lon: SURVEYED.lon };
      await waitFor(() => signed().some((o) => o.kind === 'status' && o.body.event === 'gateway-moved'), 20_000, 'gateway-moved');
      gnssAt = SURVEYED;

      // The vessel leaves.
      vesselAlongside = false;
      setRange(12_000);
      await envelopeChange(db, (d) => d.occupied?.value === false, 'the berth clearing');
      await waitFor(() => signed().some((o) => o.kind === 'presence' && o.body.event === 'departed'), 30_000, 'a departure');
    } finally {
      clearInterval(vesselTicker);
    }

    const stopped = await rig.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(unverified(db, rig.anchor)).toEqual([]);
    const all = signed();
    expect(unitObservations(all)).toEqual([`reservation:not-credible:mmsi:${GHOST}`, `presence:arrived:mmsi:${VESSEL}`, `reservation:not-credible:mmsi:${SPOOFER}`, `presence:departed:mmsi:${VESSEL}`]);
    expect(all.find((o) => o.body.event === 'arrived')!.body).toMatchObject({ reservation: 'R1', corroborated: true, modalities: ['ais', 'range'], flags: [] });
    expect(all.find((o) => o.kind === 'reservation' && (o.body.unit as string[] | undefined)?.[1] === String(SPOOFER))!.body).toMatchObject({ reason: 'not-credible', flags: ['ais-jump'] });
    expect(all.some((o) => o.kind === 'presence' && (o.body.unit as string[] | undefined)?.[1] === String(GHOST))).toBe(false);
    expect(all.filter((o) => o.kind === 'status' && o.body.event === 'gateway-moved')).toHaveLength(1);
    const moved = all.find((o) => o.body.event === 'gateway-moved')!;
    expect(moved.body.measured_m as number).toBeGreaterThan(1900);
  }, 300_000);
});

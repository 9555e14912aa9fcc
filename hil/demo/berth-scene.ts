/**
 * The berth example's world: a radar range sensor on Modbus RTU (the shipped ultrasonic-range
 * profile: distance in mm at holding register 0x0100), an AIS receiver hearing the granted
 * vessel come alongside and a few vessels passing kilometres out, and the gateway's GNSS
 * receiver read by a real gpsd, each on its own socat pty.
 */
import { join } from 'node:path';
import { SocatPtyPair } from '../pty.ts';
import { SimulatedModbusSlave } from '../modbus-slave.ts';
import { GpsdDaemon } from '../gpsd.ts';
import { freePort } from '../ports.ts';
import { encodeNmeaSentence } from '../../drivers/nmea/checksum.ts';
import { positionA } from '../../test/drivers/ais/ais-encoder.ts';
import { closePort, openDevicePort, writeTo } from '../device-port.ts';
import { Teardown } from '../teardown.ts';
import type { PlaceScene } from './scene.ts';

const VESSEL = 211331640;
const PASSING = [244000101, 244000102, 244000103];
type LatLon = { lat: number; lon: number };

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
/** ddmm.mmmmm / dddmm.mmmmm (NMEA 0183 latitude and longitude fields). */
const dm = (deg: number, width: number): string => {
  const a = Math.abs(deg);
  const d = Math.floor(a);
  return `${pad(d, width)}${((a - d) * 60).toFixed(5).padStart(8, '0')}`;
};

/** RMC, GGA, GSA and GST of a 3D fix at `p` now, as a receiver sends them once a second. */
function fixSentences(p: LatLon, now = new Date()): string {
  const time = `${pad(now.getUTCHours(), 2)}${pad(now.getUTCMinutes(), 2)}${pad(now.getUTCSeconds(), 2)}.00`;
  const date = `${pad(now.getUTCDate(), 2)}${pad(now.getUTCMonth() + 1, 2)}${pad(now.getUTCFullYear() % 100, 2)}`;
  const lat = `${dm(p.lat, 2)},${p.lat >= 0 ? 'N' : 'S'}`;
  const lon = `${dm(p.lon, 3)},${p.lon >= 0 ? 'E' : 'W'}`;
  return [
    `GPRMC,${time},A,${lat},${lon},0.0,0.0,${date},,,A`,
    `GPGGA,${time},${lat},${lon},1,10,0.8,12.0,M,40.0,M,,`,
    'GPGSA,A,3,01,02,03,04,05,06,07,08,09,10,,,1.4,0.8,1.1',
    `GPGST,${time},1.8,1.2,0.9,35.0,1.1,0.9,2.0`,
  ]
    .map((b) => encodeNmeaSentence(b))
    .join('');
}

/** A type 1 report `northM` metres north of `at` (ITU-R M.1371-5 Table 46: 1/10000 minute units). */
const aisAt = (mmsi: number, at: LatLon, northM: number, status: number): string =>
  positionA({ mmsi, lat: Math.round((at.lat + northM / 111_195) * 600_000), lon: Math.round(at.lon * 600_000), accuracy: true, status }) + '\r\n';

export async function berthScene(dir: string, example: Record<string, unknown>): Promise<PlaceScene> {
  const anchor = (example.presence as { anchor: LatLon }).anchor;
  const surveyed = example.position as LatLon;
  const t = new Teardown();
  try {
    const radarPty = new SocatPtyPair(join(dir, 'radar'), join(dir, 'radar-device'));
    const aisPty = new SocatPtyPair(join(dir, 'ais'), join(dir, 'ais-device'));
    const gnssPty = new SocatPtyPair(join(dir, 'gnss-receiver'), join(dir, 'gnss'));
    for (const p of [radarPty, aisPty, gnssPty]) {
      await p.start();
      t.add(() => p.kill());
    }
    const radar = new SimulatedModbusSlave({ path: radarPty.linkB, baudRate: 19200 });
    radar.addUnit(1, { holding: { 256: 12_000, 257: 0 } });
    await radar.open();
    t.add(() => radar.close());
    const ais = await openDevicePort(aisPty.linkB, 38400);
    t.add(() => closePort(ais));
    const receiver = await openDevicePort(gnssPty.linkA, 9600);
    t.add(() => closePort(receiver));
    const gpsd = new GpsdDaemon(gnssPty.linkB, await freePort(), dir);
    let alongside = false;
    let tick = 0;
    const ticker = setInterval(() => {
      void writeTo(receiver, fixSentences(surveyed));
      if (alongside && tick % 2 === 0) void writeTo(ais, aisAt(VESSEL, anchor, 20, 5));
      // Traffic in the fairway, 5-8 km out: heard, never at the place, nothing signed about it.
      if (tick % 10 === 5) void writeTo(ais, PASSING.map((m, i) => aisAt(m, anchor, 5000 + i * 1500, 0)).join(''));
      tick++;
    }, 1000);
    t.add(() => clearInterval(ticker));
    await gpsd.start();
    t.add(() => gpsd.stop());
    return {
      ports: { radar: radarPty.linkA, ais: aisPty.linkA },
      gpsdPort: gpsd.port,
      unit: `mmsi:${VESSEL}`,
      toleranceM: 100,
      devices: [
        `radar  Modbus RTU slave 1 (ultrasonic-range, 19200 baud) on ${radarPty.linkA}`,
        `ais    AIS receiver (!AIVDM, 38400 baud) on ${aisPty.linkA}`,
        `gnss   NMEA receiver (RMC, GGA, GSA, GST) on ${gnssPty.linkB}, read by gpsd on 127.0.0.1:${gpsd.port}`,
      ],
      arrival: `vessel ${VESSEL} comes alongside: AIS moored 20 m from the berth's anchor, a hull 4.2 m under the radar`,
      async arrive() {
        alongside = true;
        radar.units.get(1)!.holding.set(256, 4200);
      },
      departure: `vessel ${VESSEL} casts off: no more AIS reports, the radar sees water at 12 m`,
      async leave() {
        alongside = false;
        radar.units.get(1)!.holding.set(256, 12_000);
      },
      close: () => t.run(),
    };
  } catch (e) {
    await t.run();
    throw e;
  }
}

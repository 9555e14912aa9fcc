/**
 * The dock example's world: the door microcontroller (the reference firmware's host build,
 * pm-sim: channel 0 the door's reed contact, channel 1 the bay's time-of-flight distance in
 * mm), an ID-12LA badge reader for the driver and a UHF reader (M100/R200 framing) that sees
 * the trailer's tag while the trailer stands in the bay, each on its own socat pty.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SocatPtyPair } from '../pty.ts';
import { SimulatedRfidReader } from '../rfid-reader.ts';
import { startPtyRig } from '../../firmware-bridge/host-sim/pty-rig.ts';
import { encodeUhfTagNotice } from '../../drivers/rfid/uhf-r200.ts';
import { closePort, openDevicePort, writeTo } from '../device-port.ts';
import { Teardown } from '../teardown.ts';
import type { PlaceScene } from './scene.ts';

const BADGE = '0415AB3C9E';
const TRAILER_EPC = 'E28011700000020A1B2C3D4E';

export async function dockScene(dir: string): Promise<PlaceScene> {
  const t = new Teardown();
  try {
    const world = join(dir, 'door-world');
    /** pm-sim's channels: door contact (1 open), bay distance in mm, a third unused. */
    const setWorld = (open: boolean, bayMm: number): void => writeFileSync(world, `${open ? 1 : 0} ${bayMm} 2150\n`);
    setWorld(false, 8000);
    const rig = await startPtyRig({ firmware: { heartbeatMs: 200, reportMs: 100, world } });
    t.add(() => rig.close());
    const badgePty = new SocatPtyPair(join(dir, 'badge-reader'), join(dir, 'badge-reader-device'));
    const uhfPty = new SocatPtyPair(join(dir, 'trailer-uhf'), join(dir, 'trailer-uhf-device'));
    for (const p of [badgePty, uhfPty]) {
      await p.start();
      t.add(() => p.kill());
    }
    const badge = new SimulatedRfidReader({ path: badgePty.linkB, format: 'id12' });
    await badge.open();
    t.add(() => badge.close());
    const uhf = await openDevicePort(uhfPty.linkB, 115200);
    t.add(() => closePort(uhf));
    let trailer = false;
    // An inventory notice a second while the trailer's tag is in the reader's field.
    const ticker = setInterval(() => trailer && void writeTo(uhf, encodeUhfTagNotice(TRAILER_EPC, -52)), 1000);
    t.add(() => clearInterval(ticker));
    return {
      ports: { 'door-mcu': rig.hostPath, 'badge-reader': badgePty.linkA, 'trailer-uhf': uhfPty.linkA },
      unit: `rfid:${BADGE}`,
      toleranceM: 1,
      devices: [
        `door-mcu      reference firmware pm-sim (door contact ch 0, bay distance ch 1, 115200 baud) on ${rig.hostPath}`,
        `badge-reader  ID-12LA 125 kHz reader (9600 baud) on ${badgePty.linkA}`,
        `trailer-uhf   UHF EPC Gen2 reader (115200 baud) on ${uhfPty.linkA}`,
      ],
      arrival: `a trailer backs in (1.2 m from the bay sensor, tag ${TRAILER_EPC}), the door opens, driver badge ${BADGE} is read`,
      async arrive() {
        trailer = true;
        setWorld(true, 1200);
        await new Promise((r) => setTimeout(r, 1500));
        for (let i = 0; i < 4; i++) {
          await badge.sendTag(BADGE);
          await new Promise((r) => setTimeout(r, 300));
        }
      },
      departure: 'the trailer pulls out and the door shuts',
      async leave() {
        trailer = false;
        setWorld(false, 8000);
      },
      close: () => t.run(),
    };
  } catch (e) {
    await t.run();
    throw e;
  }
}

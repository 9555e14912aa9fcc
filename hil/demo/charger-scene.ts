/**
 * The charger example's world: an RDM6300 card reader, a three-phase energy meter on Modbus RTU
 * (the shipped energy-meter profile: total power in W as an IEEE 754 float at input register
 * 0x0034) and the cabinet microcontroller (the reference firmware's host build, pm-sim, whose
 * channel 0 is the plug contact), each on its own socat pty.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SocatPtyPair } from '../pty.ts';
import { SimulatedModbusSlave } from '../modbus-slave.ts';
import { SimulatedRfidReader } from '../rfid-reader.ts';
import { addEnergyMeter, setPowerW } from '../energy-meter.ts';
import { startPtyRig } from '../../firmware-bridge/host-sim/pty-rig.ts';
import { Teardown } from '../teardown.ts';
import type { PlaceScene } from './scene.ts';

const CARD = '0415AB3C9E';

export async function chargerScene(dir: string): Promise<PlaceScene> {
  const t = new Teardown();
  try {
    const world = join(dir, 'cabinet-world');
    /** pm-sim's channels: 0 plug contact (1 = a plug in the socket); 1 and 2 unused here. */
    const setPlug = (plugged: boolean): void => writeFileSync(world, `${plugged ? 1 : 0} 0 0\n`);
    setPlug(false);
    const rig = await startPtyRig({ firmware: { heartbeatMs: 500, reportMs: 200, world } });
    t.add(() => rig.close());
    const cardPty = new SocatPtyPair(join(dir, 'card-reader'), join(dir, 'card-reader-device'));
    const meterPty = new SocatPtyPair(join(dir, 'meter'), join(dir, 'meter-device'));
    for (const p of [cardPty, meterPty]) {
      await p.start();
      t.add(() => p.kill());
    }
    const meter = new SimulatedModbusSlave({ path: meterPty.linkB, baudRate: 9600 });
    addEnergyMeter(meter);
    await meter.open();
    t.add(() => meter.close());
    const reader = new SimulatedRfidReader({ path: cardPty.linkB, format: 'rdm6300' });
    await reader.open();
    t.add(() => reader.close());
    return {
      ports: { 'card-reader': cardPty.linkA, meter: meterPty.linkA, 'cabinet-mcu': rig.hostPath },
      unit: `rfid:${CARD}`,
      toleranceM: 1,
      devices: [
        `card-reader  RDM6300 125 kHz reader (9600 baud) on ${cardPty.linkA}`,
        `meter        Modbus RTU slave 1 (energy-meter, 9600 baud) on ${meterPty.linkA}`,
        `cabinet-mcu  reference firmware pm-sim (plug contact on channel 0, 115200 baud) on ${rig.hostPath}`,
      ],
      arrival: `a vehicle plugs in and draws 11 kW; card ${CARD} is held to the reader`,
      async arrive() {
        setPlug(true);
        setPowerW(meter, 11_000);
        // A card held to the reader repeats its frame, as an RDM6300 does.
        for (let i = 0; i < 8; i++) {
          await reader.sendTag(CARD);
          await new Promise((r) => setTimeout(r, 300));
        }
      },
      departure: 'the vehicle stops drawing and unplugs',
      async leave() {
        setPlug(false);
        setPowerW(meter, 0);
      },
      close: () => t.run(),
    };
  } catch (e) {
    await t.run();
    throw e;
  }
}

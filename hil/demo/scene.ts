/**
 * What a place demo needs from its simulated world: the pty each configured source opens, the
 * unit its grants name, and the physical events (a unit arrives, a unit leaves). Each place's
 * scene (berth-scene.ts, charger-scene.ts, dock-scene.ts) builds its devices from hil/.
 */
import { SerialPort } from 'serialport';

export interface PlaceScene {
  /** Source id in the example configuration → the pty path the agent opens instead of /dev/... */
  ports: Record<string, string>;
  /** Where the scene's gpsd listens, for a `type: gpsd` source. */
  gpsdPort?: number;
  /** The unit the demo's grants name, `scheme:id` as `authority grant --unit` takes it. */
  unit: string;
  /** The grant's spatial tolerance in metres, within what the place attests. */
  toleranceM: number;
  /** One line per simulated device, for the banner. */
  devices: string[];
  /** What arrive() and leave() do, in words, printed before they do it. */
  arrival: string;
  departure: string;
  /** The unit comes: identity and physical evidence, as the place's sensors would see it. */
  arrive(): Promise<void>;
  /** The unit goes. */
  leave(): Promise<void>;
  close(): Promise<void>;
}

/** Closes what a scene opened, last first, whatever fails on the way. */
export class Teardown {
  private readonly steps: Array<() => Promise<void> | void> = [];
  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length) {
      try {
        await this.steps.pop()!();
      } catch {
        // Keep closing the rest: a device that is already gone must not leave the others running.
      }
    }
  }
}

/** Opens the device end of a pty as the simulated device does. */
export async function openDevicePort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => {});
  return port;
}

export function writeTo(port: SerialPort, bytes: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.write(typeof bytes === 'string' ? bytes : Buffer.from(bytes), () => port.drain(() => resolve()));
  });
}

export function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

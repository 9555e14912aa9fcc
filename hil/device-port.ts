/**
 * The device end of a socat pty, opened with node-serialport as a simulated device opens it.
 * Shared by the simulated devices (modbus-slave.ts, rfid-reader.ts), the place rig and the
 * place demos' scenes.
 */
import { SerialPort } from 'serialport';

/** Opens `path`; errors after the open (the pty vanishing under a test) are the test's business, not a crash. */
export async function openDevicePort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => {});
  return port;
}

/** Writes and waits until the bytes have left for the pty (nothing when the port is closed). */
export function writeTo(port: SerialPort, bytes: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.write(typeof bytes === 'string' ? bytes : Buffer.from(bytes), () => port.drain(() => resolve()));
  });
}

export function closePort(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => (port?.isOpen ? port.close(() => resolve()) : resolve()));
}

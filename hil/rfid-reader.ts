/**
 * A simulated 125 kHz EM4100 reader on a serial port (a socat pty end, via node-serialport):
 * writes RDM6300 (14-byte) or ID-12LA (16-byte) frames for chosen tags, with optional bad
 * checksums and garbage bytes between frames, as a noisy field reader does.
 */
import type { SerialPort } from 'serialport';
import { closePort, openDevicePort } from './device-port.ts';
import { encodeEm4100Frame, type Em4100Format } from '../drivers/rfid/em4100.ts';

export interface SimulatedRfidReaderOptions {
  path: string;
  /** RDM6300 and ID-12LA both talk at 9600 8N1. */
  baudRate?: number;
  format: Em4100Format;
}

export class SimulatedRfidReader {
  private port: SerialPort | undefined;
  /** Bytes written so far, by kind, so a test can check what the driver must have seen. */
  readonly sent = { frames: 0, badFrames: 0, garbageBytes: 0 };

  constructor(private readonly options: SimulatedRfidReaderOptions) {}

  async open(): Promise<void> {
    this.port = await openDevicePort(this.options.path, this.options.baudRate ?? 9600);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    await closePort(port);
  }

  async sendTag(tag: string, opts: { badChecksum?: boolean; format?: Em4100Format } = {}): Promise<void> {
    const frame = encodeEm4100Frame(tag, opts.format ?? this.options.format, opts);
    if (opts.badChecksum) this.sent.badFrames++;
    else this.sent.frames++;
    await this.write(frame);
  }

  /** Noise on the line; STX (0x02) bytes inside are fine, the driver must resync. */
  async sendGarbage(bytes: Uint8Array): Promise<void> {
    this.sent.garbageBytes += bytes.length;
    await this.write(bytes);
  }

  private async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) throw new Error('reader not open');
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes), (e) => (e ? reject(e) : undefined));
      port.drain((e) => (e ? reject(e) : resolve()));
    });
  }
}

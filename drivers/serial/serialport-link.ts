import { SerialPort } from 'serialport';
import type { ByteLink, ByteLinkOptions } from './binding.ts';

/**
 * A real serial port (or pty) through node-serialport. A port that vanishes (USB unplugged,
 * pty master closed: reads fail with EIO/EBADF) closes with an error; an orderly `close()` does not.
 */
export class SerialPortLink implements ByteLink {
  readonly endpoint: string;
  private port: SerialPort | undefined;
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  private closing = false;

  constructor(private readonly options: ByteLinkOptions) {
    this.endpoint = options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async open(): Promise<void> {
    if (this.port?.isOpen) return;
    const o = this.options;
    const port = new SerialPort({
      path: o.path,
      baudRate: o.baudRate,
      dataBits: o.dataBits ?? 8,
      parity: o.parity ?? 'none',
      stopBits: o.stopBits ?? 1,
      autoOpen: false,
      // Device files can be opened twice; a second reader would steal bytes from the first.
      lock: true,
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    this.closing = false;
    port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const l of this.dataListeners) l(bytes);
    });
    // 'error' after open is followed by 'close' with the error when the port vanished; listening keeps it from throwing.
    port.on('error', () => {});
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      const vanished = err ?? (this.closing ? undefined : new Error(`${this.endpoint} closed unexpectedly`));
      if (this.port === port) this.port = undefined;
      for (const l of this.closeListeners) l(vanished);
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error(`${this.endpoint} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) => (err ? reject(err) : undefined));
      port.drain((err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    this.closing = true;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error(`${this.endpoint} is not open`);
    const set: { dtr?: boolean; rts?: boolean } = {};
    if (signals.dtr !== undefined) set.dtr = signals.dtr;
    if (signals.rts !== undefined) set.rts = signals.rts;
    await new Promise<void>((resolve, reject) => port.set(set, (err) => (err ? reject(err) : resolve())));
  }
}

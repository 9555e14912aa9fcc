import { realpath, stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import type { ByteLink, ByteLinkOptions } from './binding.ts';

export interface SerialPortLinkExtras {
  /**
   * How often (ms) to check that the device node still exists; 0 disables. node-serialport
   * only notices a vanished port when a read fails, and an idle port whose pty or USB device
   * went away may never see one (seen with socat ptys: no EIO until the first byte had been
   * read). A missing node closes the link with ENODEV. Default 1000.
   */
  presenceCheckMs?: number;
}

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
  private vanishedError: Error | undefined;
  private presenceTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: ByteLinkOptions,
    private readonly extras: SerialPortLinkExtras = {},
  ) {
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
    this.vanishedError = undefined;
    const devicePath = await realpath(o.path).catch(() => o.path);
    const every = this.extras.presenceCheckMs ?? 1000;
    if (every > 0) {
      this.presenceTimer = setInterval(() => {
        stat(devicePath).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT' || this.port !== port || !port.isOpen) return;
          this.vanishedError = Object.assign(new Error(`${devicePath} disappeared`), { code: 'ENODEV' });
          port.close(() => {});
        });
      }, every);
      this.presenceTimer.unref();
    }
    port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const l of this.dataListeners) l(bytes);
    });
    // 'error' after open is followed by 'close' with the error when the port vanished; listening keeps it from throwing.
    port.on('error', () => {});
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (this.presenceTimer !== undefined) clearInterval(this.presenceTimer);
      this.presenceTimer = undefined;
      const vanished = err ?? this.vanishedError ?? (this.closing ? undefined : new Error(`${this.endpoint} closed unexpectedly`));
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

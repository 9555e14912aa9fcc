import net from 'node:net';
import type { ByteLink } from './binding.ts';

export interface TcpLinkOptions {
  host: string;
  port: number;
  /** Connect timeout, ms (default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Serial-over-network in the ser2net raw style: the TCP stream is the serial byte stream.
 * A connection the peer ends or resets counts as a vanished port (close with an error).
 */
export class TcpLink implements ByteLink {
  readonly endpoint: string;
  private socket: net.Socket | undefined;
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  private closing = false;

  constructor(private readonly options: TcpLinkOptions) {
    this.endpoint = `tcp://${options.host}:${options.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && !this.socket.connecting;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const socket = net.createConnection({ host: this.options.host, port: this.options.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`connect to ${this.endpoint} timed out`), { code: 'ETIMEDOUT' }));
      }, this.options.connectTimeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.socket = socket;
    this.closing = false;
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const l of this.dataListeners) l(bytes);
    });
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      const err = this.closing ? undefined : lastError ?? Object.assign(new Error(`${this.endpoint} closed by peer`), { code: 'ECONNRESET' });
      for (const l of this.closeListeners) l(err);
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.isOpen) throw new Error(`${this.endpoint} is not open`);
    await new Promise<void>((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }
}

/**
 * swtpm's data socket (`swtpm socket --server type=tcp`): raw command bytes with no framing,
 * the response delimited only by its own size field (TPM 2.0 Part 1 §18.2). Not the
 * Microsoft simulator's framing (TPM_SEND_COMMAND), which belongs to the mssim TCTI.
 * A refused connection is retried with capped backoff until `connectTimeoutMs`, so a TPM
 * being restarted is waited for rather than reported at once.
 */
import { Socket, createConnection } from 'node:net';
import { TpmError } from './tpm-error.ts';
import { HEADER_SIZE, responseSize, type TpmTransport } from './transport.ts';

export interface SocketTransportOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

interface Pending {
  chunks: Buffer[];
  length: number;
  resolve(b: Uint8Array): void;
  reject(e: Error): void;
}

export class SocketTransport implements TpmTransport {
  readonly description: string;
  private socket: Socket | undefined;
  private pending: Pending | undefined;
  private closed = false;
  private readonly connectTimeoutMs: number;
  connections = 0;

  constructor(private readonly opts: SocketTransportOptions) {
    this.description = `swtpm:host=${opts.host},port=${opts.port}`;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  async transmit(command: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new TpmError('TPM_TRANSPORT_CLOSED', `${this.description}: transport closed`, { sent: false });
    if (this.pending) throw new TpmError('TPM_TRANSPORT', `${this.description}: a command is already in flight`, { sent: false });
    const socket = await this.connected(Math.max(timeoutMs, this.connectTimeoutMs));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new TpmError('TPM_TIMEOUT', `${this.description}: no response within ${timeoutMs} ms`, { sent: true, timeoutMs }));
      }, timeoutMs);
      this.pending = {
        chunks: [],
        length: 0,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      socket.write(command);
    });
  }

  async reset(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(new TpmError('TPM_TRANSPORT_CLOSED', `${this.description}: transport closed`, { sent: true }));
    await this.reset();
  }

  private fail(err: TpmError): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      // A late response would be read as the answer to the next command: drop the connection.
      this.socket?.destroy();
      this.socket = undefined;
      p.reject(err);
    }
  }

  private onData(socket: Socket, chunk: Buffer): void {
    const p = this.pending;
    if (!p || socket !== this.socket) {
      // Bytes nobody asked for mean the stream is out of step; resynchronise by reconnecting.
      socket.destroy();
      if (socket === this.socket) this.socket = undefined;
      return;
    }
    p.chunks.push(chunk);
    p.length += chunk.length;
    if (p.length < HEADER_SIZE) return;
    const all = Buffer.concat(p.chunks);
    p.chunks = [all];
    const size = responseSize(all)!;
    if (size < HEADER_SIZE) {
      this.fail(new TpmError('TPM_MALFORMED_RESPONSE', `${this.description}: response size field ${size} is below the header size`, { sent: true }));
      return;
    }
    if (all.length < size) return;
    if (all.length > size) {
      this.fail(new TpmError('TPM_MALFORMED_RESPONSE', `${this.description}: ${all.length - size} bytes beyond the response's size field`, { sent: true }));
      return;
    }
    this.pending = undefined;
    p.resolve(new Uint8Array(all.buffer, all.byteOffset, all.length).slice());
  }

  private async connected(waitMs: number): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const deadline = Date.now() + waitMs;
    let delay = 25;
    let last: unknown;
    while (!this.closed) {
      try {
        const s = await this.connectOnce();
        this.socket = s;
        this.connections++;
        return s;
      } catch (e) {
        last = e;
        if (Date.now() + delay > deadline) break;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 400);
      }
    }
    throw new TpmError('TPM_TRANSPORT_CLOSED', `${this.description}: cannot connect: ${(last as Error)?.message ?? 'closed'}`, { sent: false }, { cause: last });
  }

  private connectOnce(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: this.opts.host, port: this.opts.port });
      s.setNoDelay(true);
      const onError = (e: Error) => reject(e);
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        s.on('data', (c: Buffer) => this.onData(s, c));
        s.on('error', () => {});
        s.on('close', () => {
          if (this.socket === s) {
            this.socket = undefined;
            this.fail(new TpmError('TPM_TRANSPORT_CLOSED', `${this.description}: connection closed by the TPM`, { sent: true }));
          }
        });
        resolve(s);
      });
    });
  }
}

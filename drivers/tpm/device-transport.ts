/**
 * A TPM character device: `/dev/tpmrm0` (the kernel resource manager, which flushes this
 * file's transient objects when it is closed) or `/dev/tpm0` (raw, no resource manager;
 * only when asked). One write of a whole command, one read of a whole response.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { TpmError } from './tpm-error.ts';
import { responseSize, type TpmTransport } from './transport.ts';

// TPM 2.0 PC Client Platform TPM Profile: responses never exceed 4096 bytes.
const MAX_RESPONSE = 4096;

export class DeviceTransport implements TpmTransport {
  readonly description: string;
  private fh: FileHandle | undefined;
  private closed = false;
  connections = 0;

  constructor(private readonly path: string) {
    this.description = `device:${path}`;
  }

  async transmit(command: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new TpmError('TPM_TRANSPORT_CLOSED', `${this.description}: transport closed`, { sent: false });
    let fh: FileHandle;
    try {
      if (!this.fh) {
        this.fh = await open(this.path, 'r+');
        this.connections++;
      }
      fh = this.fh;
    } catch (e) {
      throw new TpmError('TPM_TRANSPORT', `${this.description}: cannot open: ${(e as Error).message}`, { sent: false }, { cause: e });
    }
    let timer: NodeJS.Timeout | undefined;
    const io = (async () => {
      await fh.write(command);
      const buf = new Uint8Array(MAX_RESPONSE);
      const { bytesRead } = await fh.read(buf, 0, MAX_RESPONSE, null);
      const out = buf.slice(0, bytesRead);
      if (responseSize(out) !== bytesRead) {
        throw new TpmError('TPM_MALFORMED_RESPONSE', `${this.description}: read ${bytesRead} bytes, size field says ${responseSize(out)}`, { sent: true });
      }
      return out;
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TpmError('TPM_TIMEOUT', `${this.description}: no response within ${timeoutMs} ms`, { sent: true, timeoutMs })), timeoutMs);
    });
    try {
      return await Promise.race([io, timeout]);
    } catch (e) {
      await this.reset();
      if (e instanceof TpmError) throw e;
      throw new TpmError('TPM_TRANSPORT', `${this.description}: ${(e as Error).message}`, { sent: true }, { cause: e });
    } finally {
      clearTimeout(timer);
      io.catch(() => {});
    }
  }

  async reset(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
  }
}

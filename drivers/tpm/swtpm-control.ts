/**
 * swtpm's control channel (swtpm's ioctl-equivalent protocol over TCP, see swtpm's
 * man page swtpm-ioctls / tpm_ioctl.h): a u32 command code then its payload; every reply
 * starts with a u32 result, 0 meaning success. One connection per command.
 */
import { createConnection } from 'node:net';
import { TpmError } from './tpm-error.ts';

export const CTRL = {
  GET_CAPABILITY: 0x01,
  INIT: 0x02,
  SHUTDOWN: 0x03,
  SET_LOCALITY: 0x05,
  STOP: 0x0e,
} as const;

/** CMD_INIT flag: delete volatile state (a TPM2_Startup must follow). */
export const INIT_DELETE_VOLATILE = 0x1;

export class SwtpmControl {
  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs = 5_000) {}

  /** Re-initialises the TPM (as at power-on); send TPM2_Startup afterwards. */
  async init(flags = 0): Promise<void> {
    await this.call(CTRL.INIT, u32(flags), 4);
  }

  /** Asks swtpm to shut down cleanly; the process exits. */
  async shutdown(): Promise<void> {
    await this.call(CTRL.SHUTDOWN, new Uint8Array(0), 4);
  }

  /** The capability bitmap of the control channel. */
  async capabilities(): Promise<number> {
    const r = await this.call(CTRL.GET_CAPABILITY, new Uint8Array(0), 8);
    return readU32(r, 4);
  }

  async setLocality(locality: number): Promise<void> {
    await this.call(CTRL.SET_LOCALITY, Uint8Array.of(locality), 4);
  }

  private call(cmd: number, payload: Uint8Array, replyLen: number): Promise<Uint8Array> {
    const where = `swtpm control ${this.host}:${this.port}`;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let got = 0;
      let done = false;
      const s = createConnection({ host: this.host, port: this.port });
      const finish = (err: Error | undefined, out?: Uint8Array) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.destroy();
        if (err) reject(err);
        else resolve(out!);
      };
      const timer = setTimeout(() => finish(new TpmError('TPM_TIMEOUT', `${where}: no reply to command ${cmd} within ${this.timeoutMs} ms`)), this.timeoutMs);
      s.on('error', (e) => finish(new TpmError('TPM_CONTROL', `${where}: ${e.message}`, { command: cmd }, { cause: e })));
      s.on('connect', () => {
        const out = new Uint8Array(4 + payload.length);
        out.set(u32(cmd), 0);
        out.set(payload, 4);
        s.write(out);
      });
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= 4) {
          const all = new Uint8Array(Buffer.concat(chunks));
          const result = readU32(all, 0);
          if (result !== 0) return finish(new TpmError('TPM_CONTROL', `${where}: command ${cmd} answered result 0x${result.toString(16)}`, { command: cmd, result }));
          if (got >= replyLen) finish(undefined, all);
        }
      });
      s.on('close', () => finish(got >= 4 ? undefined : new TpmError('TPM_CONTROL', `${where}: closed before replying to command ${cmd}`, { command: cmd }), new Uint8Array(Buffer.concat(chunks))));
    });
  }
}

function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/**
 * A TPM transport that sits where an interposer on the bus would: it keeps every command and
 * the response the host received, and can flip one bit of the next successful response to a
 * given command code (a forged response, which the session HMAC must catch).
 */
import type { TpmTransport } from '../../drivers/tpm/transport.ts';

export class BusRecorder implements TpmTransport {
  readonly description = 'bus recorder';
  readonly exchanges: { cmd: Buffer; resp: Buffer }[] = [];
  /** The command code (TPM 2.0 Part 1 §6.5.2: bytes 6..9 of a command) whose next successful response is altered. */
  tamperNext: number | undefined;
  tampered = 0;
  constructor(private readonly inner: TpmTransport) {}

  get commands(): Buffer[] {
    return this.exchanges.map((e) => e.cmd);
  }

  async transmit(command: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const cmd = Buffer.from(command);
    const resp = Buffer.from(await this.inner.transmit(command, timeoutMs));
    // A response's code sits where a command's code does; 0 is TPM_RC_SUCCESS.
    if (this.tamperNext === cmd.readUInt32BE(6) && resp.readUInt32BE(6) === 0) {
      this.tamperNext = undefined;
      this.tampered++;
      resp[resp.length - 60]! ^= 0x01; // inside the parameters (a signature), before the auth area
    }
    this.exchanges.push({ cmd, resp });
    return resp;
  }
  get connections() {
    return this.inner.connections;
  }
  reset() {
    return this.inner.reset();
  }
  close() {
    return this.inner.close();
  }
}

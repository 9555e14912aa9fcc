/**
 * The client's queue, retry and startup rules against scripted transports, and the socket
 * transport's framing against a local TCP server that splits and pads responses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { getRandom } from '../../drivers/tpm/commands/context.ts';
import { sign } from '../../drivers/tpm/commands/sign.ts';
import { nvIncrement } from '../../drivers/tpm/commands/nv.ts';
import { SocketTransport } from '../../drivers/tpm/socket-transport.ts';
import { DeviceTransport } from '../../drivers/tpm/device-transport.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { TpmTransport } from '../../drivers/tpm/transport.ts';

const run = promisify(execFile);
const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const RANDOM_OK = h('8001 00000010 00000000 0004 deadbeef');
const SIGN_OK = h('8002 00000023 00000000 00000010 0018 000b 0004 01020304 0004 05060708 0000 01 0000');

type Step = Uint8Array | TpmError;

/** A transport that answers from a script and records what was sent and whether calls overlapped. */
class ScriptedTransport implements TpmTransport {
  readonly description = 'scripted';
  sent: Uint8Array[] = [];
  resets = 0;
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly steps: Step[]) {}
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 2));
      this.sent.push(command);
      const step = this.steps.shift();
      if (!step) throw new Error('script exhausted');
      if (step instanceof TpmError) throw step;
      return step;
    } finally {
      this.inFlight--;
    }
  }
  async reset(): Promise<void> {
    this.resets++;
  }
  async close(): Promise<void> {}
}

const lost = (sent: boolean) => new TpmError('TPM_TRANSPORT_CLOSED', 'connection closed by the TPM', { sent });

describe('TpmClient', () => {
  it('keeps one command in flight and answers in order', async () => {
    const t = new ScriptedTransport(Array.from({ length: 10 }, () => RANDOM_OK));
    const c = new TpmClient(t);
    const out = await Promise.all(Array.from({ length: 10 }, () => getRandom(c, 4)));
    expect(out.every((b) => Buffer.from(b).toString('hex') === 'deadbeef')).toBe(true);
    expect(t.maxInFlight).toBe(1);
    expect(t.sent.length).toBe(10);
  });

  it('reconnects and retries once when the command bytes never left', async () => {
    const t = new ScriptedTransport([lost(false), RANDOM_OK]);
    const c = new TpmClient(t);
    expect(await getRandom(c, 4)).toEqual(h('deadbeef'));
    expect(t.resets).toBe(1);
    expect(c.stats.reconnects).toBe(1);
  });

  it('retries an idempotent Sign whose connection broke after sending', async () => {
    const t = new ScriptedTransport([lost(true), SIGN_OK]);
    const c = new TpmClient(t);
    const sig = await sign(c, 0x81010001, new Uint8Array(32));
    expect(sig.r).toEqual(h('01020304'));
    expect(t.sent.length).toBe(2);
    expect(Buffer.from(t.sent[0]!).equals(Buffer.from(t.sent[1]!))).toBe(true);
  });

  it('never resends an NV_Increment that may have reached the TPM', async () => {
    const t = new ScriptedTransport([lost(true), h('8002 00000013 00000000 00000000 0000 01 0000')]);
    const c = new TpmClient(t);
    await expect(nvIncrement(c, 0x01500101)).rejects.toMatchObject({ code: 'TPM_TRANSPORT_CLOSED' });
    expect(t.sent.length).toBe(1);
  });

  it('retries only once: a second failure is reported', async () => {
    const t = new ScriptedTransport([lost(false), lost(false), RANDOM_OK]);
    const c = new TpmClient(t);
    await expect(getRandom(c, 4)).rejects.toMatchObject({ code: 'TPM_TRANSPORT_CLOSED' });
    expect(t.sent.length).toBe(2);
  });

  it('sends TPM2_Startup when the TPM answers TPM_RC_INITIALIZE, then the command again', async () => {
    const t = new ScriptedTransport([h('8001 0000000a 00000100'), h('8001 0000000a 00000000'), RANDOM_OK]);
    const c = new TpmClient(t);
    expect(await getRandom(c, 4)).toEqual(h('deadbeef'));
    expect(t.sent[1]).toEqual(h('8001 0000000c 00000144 0000'));
    expect(c.stats.startups).toBe(1);
  });

  it('retries TPM_RC_RETRY warnings, then succeeds', async () => {
    const t = new ScriptedTransport([h('8001 0000000a 00000922'), RANDOM_OK]);
    const c = new TpmClient(t);
    expect(await getRandom(c, 4)).toEqual(h('deadbeef'));
  });

  it('a failed command does not block the queue', async () => {
    const t = new ScriptedTransport([h('8001 0000000a 00000902'), RANDOM_OK]);
    const c = new TpmClient(t);
    const [a, b] = await Promise.allSettled([getRandom(c, 4), getRandom(c, 4)]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('fulfilled');
  });
});

describe('SocketTransport framing', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function serve(onCommand: (sock: Socket, cmd: Buffer) => void): Promise<number> {
    server = createServer((sock) => sock.on('data', (d) => onCommand(sock, d)));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  it('reassembles a response split into pieces using its size field', async () => {
    const port = await serve((sock) => {
      sock.write(RANDOM_OK.subarray(0, 3));
      setTimeout(() => sock.write(RANDOM_OK.subarray(3, 11)), 5);
      setTimeout(() => sock.write(RANDOM_OK.subarray(11)), 10);
    });
    const c = new TpmClient(new SocketTransport({ host: '127.0.0.1', port }));
    expect(await getRandom(c, 4)).toEqual(h('deadbeef'));
    await c.close();
  });

  it('reports bytes beyond the size field as malformed instead of dropping them', async () => {
    const port = await serve((sock) => sock.write(Buffer.concat([RANDOM_OK, Buffer.from([0xaa])])));
    const t = new SocketTransport({ host: '127.0.0.1', port });
    await expect(t.transmit(h('8001 0000000c 0000017b 0004'), 2_000)).rejects.toMatchObject({ code: 'TPM_MALFORMED_RESPONSE' });
    await t.close();
  });

  it('times out a silent TPM with TPM_TIMEOUT and marks the command as sent', async () => {
    const port = await serve(() => {});
    const t = new SocketTransport({ host: '127.0.0.1', port });
    const err = await t.transmit(h('8001 0000000c 0000017b 0004'), 100).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TPM_TIMEOUT' });
    expect((err as TpmError).sent).toBe(true);
    await t.close();
  });

  it('reports a refused connection as not sent', async () => {
    const port = await serve(() => {});
    server!.close();
    const t = new SocketTransport({ host: '127.0.0.1', port, connectTimeoutMs: 100 });
    const err = await t.transmit(h('8001 0000000c 0000017b 0004'), 100).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TPM_TRANSPORT_CLOSED' });
    expect((err as TpmError).sent).toBe(false);
  });
});

describe('DeviceTransport', () => {
  it('does one whole write and one whole read per command (a FIFO stands in for the device and echoes)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tpm-fifo-'));
    const path = join(dir, 'tpm0');
    await run('mkfifo', [path]);
    const t = new DeviceTransport(path);
    try {
      const cmd = h('8001 0000000c 0000017b 0004');
      expect(await t.transmit(cmd, 2_000)).toEqual(cmd);
      expect(t.connections).toBe(1);
      expect(await t.transmit(cmd, 2_000)).toEqual(cmd);
      expect(t.connections).toBe(1);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing device as a transport error before anything is sent', async () => {
    const t = new DeviceTransport('/nonexistent/tpmrm0');
    const err = await t.transmit(h('8001 0000000c 0000017b 0004'), 100).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TPM_TRANSPORT' });
    expect((err as TpmError).sent).toBe(false);
  });
});

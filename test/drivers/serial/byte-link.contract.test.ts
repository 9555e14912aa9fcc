import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ByteLink } from '../../../drivers/serial/binding.ts';
import { MockLink } from '../../../drivers/serial/mock-link.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { TcpLink } from '../../../drivers/serial/tcp-link.ts';
import { SocatPtyPair } from '../../../hil/pty.ts';
import { waitFor } from './helpers.ts';

/**
 * One contract for every ByteLink (as MQTT.js runs one suite against every store): the mock,
 * node-serialport on a real pty, and TCP. A binding that passes is interchangeable under the
 * port supervisor.
 */
interface Rig {
  link: ByteLink;
  /** Bytes from the device side. */
  peerSend(text: string): Promise<void>;
  /** Everything the device side has received so far. */
  peerReceived(): string;
  /** The port disappears (pty torn down, TCP peer reset, USB unplugged). */
  vanish(): Promise<void>;
  teardown(): Promise<void>;
}

const harnesses: Array<{ name: string; make(): Promise<Rig> }> = [
  {
    name: 'MockLink',
    async make() {
      const link = new MockLink();
      return {
        link,
        peerSend: async (t) => link.receive(t),
        peerReceived: () => link.written.map((b) => new TextDecoder().decode(b)).join(''),
        vanish: async () => link.vanish(),
        teardown: async () => {},
      };
    },
  },
  {
    name: 'SerialPortLink on a socat pty',
    async make() {
      const dir = mkdtempSync(path.join(tmpdir(), 'place-agent-link-'));
      const pair = new SocatPtyPair(path.join(dir, 'dev'), path.join(dir, 'host'));
      await pair.start();
      const peer = new SerialPortLink({ path: pair.linkA, baudRate: 115200 });
      let received = '';
      peer.onData((c) => (received += new TextDecoder().decode(c)));
      await peer.open();
      const link = new SerialPortLink({ path: pair.linkB, baudRate: 115200 });
      return {
        link,
        peerSend: (t) => peer.write(new TextEncoder().encode(t)),
        peerReceived: () => received,
        vanish: () => pair.kill(),
        teardown: async () => {
          await peer.close().catch(() => {});
          await pair.kill();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'TcpLink',
    async make() {
      let peer: net.Socket | undefined;
      let received = '';
      const server = net.createServer((s) => {
        peer = s;
        s.on('data', (d) => (received += d.toString()));
        s.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const link = new TcpLink({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
      return {
        link,
        peerSend: async (t) => {
          await waitFor(() => peer !== undefined, 'tcp peer accepted');
          peer!.write(t);
        },
        peerReceived: () => received,
        vanish: async () => {
          await waitFor(() => peer !== undefined, 'tcp peer accepted');
          peer!.resetAndDestroy();
        },
        teardown: async () => {
          peer?.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      };
    },
  },
];

describe.each(harnesses)('ByteLink contract: $name', ({ make }) => {
  it('opens, delivers device bytes in order, and writes to the device', async () => {
    const rig = await make();
    try {
      let got = '';
      rig.link.onData((c) => (got += new TextDecoder().decode(c)));
      expect(rig.link.isOpen).toBe(false);
      await rig.link.open();
      expect(rig.link.isOpen).toBe(true);
      await rig.peerSend('$GPZDA,1*00\r\n');
      await rig.peerSend('$GPZDA,2*00\r\n');
      await waitFor(() => got.length >= 26, 'device bytes');
      expect(got).toBe('$GPZDA,1*00\r\n$GPZDA,2*00\r\n');
      await rig.link.write(new TextEncoder().encode('PING\r\n'));
      await waitFor(() => rig.peerReceived().includes('PING\r\n'), 'host bytes at the device');
      await rig.link.close();
    } finally {
      await rig.teardown();
    }
  });

  it('an orderly close reports no error and leaves the link closed', async () => {
    const rig = await make();
    try {
      const closes: Array<Error | undefined> = [];
      rig.link.onClose((e) => closes.push(e));
      await rig.link.open();
      await rig.link.close();
      await waitFor(() => closes.length === 1, 'close notification');
      expect(closes).toEqual([undefined]);
      expect(rig.link.isOpen).toBe(false);
      await expect(rig.link.write(new Uint8Array([1]))).rejects.toThrow();
    } finally {
      await rig.teardown();
    }
  });

  it('a vanished port closes with an error', async () => {
    const rig = await make();
    try {
      const closes: Array<Error | undefined> = [];
      rig.link.onClose((e) => closes.push(e));
      await rig.link.open();
      await rig.vanish();
      await waitFor(() => closes.length === 1, 'vanish notification');
      expect(closes[0]).toBeInstanceOf(Error);
      expect(rig.link.isOpen).toBe(false);
    } finally {
      await rig.link.close().catch(() => {});
      await rig.teardown();
    }
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { encodeEm4100Frame } from '../../../drivers/rfid/em4100.ts';
import { RfidSource } from '../../../drivers/rfid/rfid-source.ts';
import type { Sighting } from '../../../drivers/rfid/sightings.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { SimulatedRfidReader } from '../../../hil/rfid-reader.ts';
import { openPtyPair, supervisedPty, until, type PtyPair } from '../modbus/pty-pair.ts';

describe('RfidSource through a real pty', () => {
  let pty: PtyPair & { dir: string };
  beforeEach(async () => {
    pty = await openPtyPair();
  });
  afterEach(async () => {
    await pty.close();
  });

  for (const format of ['rdm6300', 'id12'] as const) {
    it(`${format}: turns frames with garbage between them into sightings and counts the discarded bytes`, async () => {
      const reader = new SimulatedRfidReader({ path: pty.b, format });
      await reader.open();
      const clock = new ManualClock(10_000);
      const src = new RfidSource({ id: 'door-1', protocol: 'em4100', link: new SerialPortLink({ path: pty.a, baudRate: 9600 }), holdMs: 1_000, clock });
      const got: Reading<Sighting>[] = [];
      await src.start((r) => got.push(r as Reading<Sighting>));
      await reader.sendGarbage(Uint8Array.from([0x00, 0xff, 0x02, 0x13]));
      await reader.sendTag('0415AB3C9E');
      await reader.sendGarbage(Uint8Array.from([0x55, 0x55, 0x55]));
      await reader.sendTag('0415AB3C9E');
      await reader.sendTag('0415AB3C9E', { badChecksum: true });
      await reader.sendTag('0A0B0C0D0E');
      await until(() => src.rawReads === 3 && (src.health().errors.RFID_BAD_CHECKSUM ?? 0) === 1, 'three reads and one bad frame');
      expect(got.map((r) => [r.modality, r.value.tag, r.value.state])).toEqual([
        ['rfid', '0415AB3C9E', 'open'],
        ['rfid', '0A0B0C0D0E', 'open'],
      ]);
      clock.advance(1_001);
      src.tick();
      expect(got.slice(2).map((r) => [r.value.tag, r.value.state, r.value.count])).toEqual([
        ['0415AB3C9E', 'closed', 2],
        ['0A0B0C0D0E', 'closed', 1],
      ]);
      const h = src.health();
      expect(h.discardedBytes).toBe(reader.sent.garbageBytes);
      expect(h.errors.RFID_BAD_CHECKSUM).toBe(1);
      await src.stop();
      await reader.close();
    });
  }

  it('survives the reader being unplugged mid-frame and plugged back in', async () => {
    let reader = new SimulatedRfidReader({ path: pty.b, format: 'rdm6300' });
    await reader.open();
    const link = supervisedPty(pty.a, 9600);
    const src = new RfidSource({ id: 'door-2', protocol: 'em4100', link });
    const got: Reading<Sighting>[] = [];
    await src.start((r) => got.push(r as Reading<Sighting>));
    await reader.sendTag('0415AB3C9E');
    await until(() => src.rawReads === 1, 'first read');
    // Half a frame, then the USB reader disappears.
    await reader.sendGarbage(encodeEm4100Frame('0A0B0C0D0E', 'rdm6300').subarray(0, 7));
    await until(() => src.bufferedBytes === 7, 'half frame buffered');
    expect(src.health().discardedBytes).toBe(0);
    await reader.close();
    await pty.close(true);
    await until(() => src.health().state === 'down', 'link down');
    expect(src.health().discardedBytes).toBe(7);
    pty = await openPtyPair(pty.dir);
    reader = new SimulatedRfidReader({ path: pty.b, format: 'rdm6300' });
    await reader.open();
    await until(() => src.health().detail === 'reopened', 'reopened');
    await reader.sendTag('0A0B0C0D0E');
    await until(() => src.rawReads === 2, 'read after replug');
    expect(got.map((r) => r.value.tag)).toEqual(['0415AB3C9E', '0A0B0C0D0E']);
    expect(src.health()).toMatchObject({ state: 'up', errors: { RFID_LINK_LOST: 1 } });
    // The supervisor did the reopening, once, and counted the same single loss.
    expect(link.health()).toMatchObject({ state: 'open', opens: 2, errors: { SERIAL_VANISHED: 1 } });
    await src.stop();
    await reader.close();
  });
});

/**
 * The UHF reader path (M100/QM100-style framing, drivers/rfid/README.md) through a real pty
 * opened with node-serialport: inventory notices with garbage between them become one sighting
 * per EPC with the strongest RSSI, and every garbage byte is counted as discarded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { RfidSource } from '../../../drivers/rfid/rfid-source.ts';
import type { Sighting } from '../../../drivers/rfid/sightings.ts';
import { encodeUhfTagNotice } from '../../../drivers/rfid/uhf-r200.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { openPtyPair, until, type PtyPair } from '../modbus/pty-pair.ts';

describe('UHF RFID reader through a real pty', () => {
  let pty: PtyPair & { dir: string };
  beforeEach(async () => {
    pty = await openPtyPair();
  });
  afterEach(async () => {
    await pty.close();
  });

  it('debounces inventory notices into sightings with the strongest RSSI and counts garbage', async () => {
    const device = new SerialPort({ path: pty.b, baudRate: 115200 });
    await new Promise<void>((r, j) => device.once('open', () => r()).once('error', j));
    const write = (b: Uint8Array) => new Promise<void>((r, j) => device.write(Buffer.from(b), (e) => (e ? j(e) : device.drain(() => r()))));
    const clock = new ManualClock(50_000);
    const src = new RfidSource({ id: 'dock-uhf', protocol: 'uhf-r200', link: new SerialPortLink({ path: pty.a, baudRate: 115200 }), holdMs: 2_000, clock });
    const got: Reading<Sighting>[] = [];
    await src.start((r) => got.push(r as Reading<Sighting>));
    const epc = 'E28011700000020A1B2C3D4E';
    const garbage = Uint8Array.from([0x00, 0x13, 0x37, 0x7e]);
    await write(garbage);
    await write(encodeUhfTagNotice(epc, -61));
    await write(encodeUhfTagNotice(epc, -48));
    await write(encodeUhfTagNotice(epc, -55));
    await until(() => src.rawReads === 3, 'three inventory notices');
    expect(got.map((r) => [r.modality, r.value.tag.toUpperCase(), r.value.state])).toEqual([['rfid', epc, 'open']]);
    clock.advance(2_001);
    src.tick();
    const closed = got[1]!.value;
    expect([closed.state, closed.count, closed.rssi]).toEqual(['closed', 3, -48]);
    expect(src.health().discardedBytes).toBe(garbage.length);
    await src.stop();
    await new Promise<void>((r) => device.close(() => r()));
  });
});

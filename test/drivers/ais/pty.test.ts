import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { AisSource } from '../../../drivers/ais/ais-source.ts';
import type { AisMessage } from '../../../drivers/ais/messages/types.ts';
import type { Reading } from '../../../core/reading.ts';
import { openPtyPair, supervisedPty, until, type PtyPair } from '../modbus/pty-pair.ts';
import { gpsdCorpus } from './corpus.ts';

async function openWriter(p: string): Promise<SerialPort> {
  const port = new SerialPort({ path: p, baudRate: 38_400, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => {});
  return port;
}
const write = (port: SerialPort, data: string | Buffer): Promise<void> =>
  new Promise((resolve, reject) => {
    port.write(data, (e) => (e ? reject(e) : undefined));
    port.drain((e) => (e ? reject(e) : resolve()));
  });
const closePort = (port: SerialPort): Promise<void> => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));

describe('AisSource through a real pty', () => {
  let pty: PtyPair & { dir: string };
  afterEach(async () => {
    await pty.close();
  });

  it('decodes the gpsd sample fed through the pty, then survives the pty vanishing and coming back', async () => {
    pty = await openPtyPair();
    let writer = await openWriter(pty.b);
    const link = supervisedPty(pty.a, 38_400);
    const src = new AisSource({ id: 'ais-pty', link });
    const got: Reading<AisMessage>[] = [];
    await src.start((r) => got.push(r as Reading<AisMessage>));
    await write(writer, readFileSync(path.join(gpsdCorpus, 'sample.aivdm')));
    // 97 messages in the sample, all decoded (see corpus.test.ts); 17 are units' reports,
    // 80 are base stations, aids to navigation, SAR aircraft, acknowledgements, inquiries,
    // interrogations, link and channel management, assignments, binary and safety messages and
    // DGNSS broadcasts: no Reading.
    await until(() => got.length === 17, 'the sample decoded');
    await until(() => src.health().errors.AIS_NOT_A_UNIT === 80, 'the rest counted as not a unit');
    expect(got[0]!.value).toMatchObject({ type: 1, mmsi: 371798000 });
    expect(src.health().errors.AIS_UNSUPPORTED_TYPE).toBeUndefined();

    // Unplug: socat goes away, both ptys vanish; then the device comes back under the same name.
    await closePort(writer);
    await pty.close(true);
    await until(() => src.health().state === 'down', 'link reported down');
    pty = await openPtyPair(pty.dir);
    writer = await openWriter(pty.b);
    await until(() => (src.health().detail ?? '') === 'reopened', 'source reopened the port');
    await write(writer, '!AIVDM,1,1,,A,B52KB8h006fu`Q6:g1McCwb5oP06,0*00\r\n');
    await until(() => got.length === 18, 'a message after recovery');
    expect(got[17]!.value).toMatchObject({ type: 18, mmsi: 338088483 });
    expect(src.health()).toMatchObject({ state: 'up', errors: { AIS_LINK_LOST: 1 } });
    // The supervisor did the reopening, once, and counted the same single loss.
    expect(link.health()).toMatchObject({ state: 'open', opens: 2, errors: { SERIAL_VANISHED: 1 } });
    await src.stop();
    await closePort(writer);
  });
});

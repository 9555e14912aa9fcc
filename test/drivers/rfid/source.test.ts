import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/core/clock.ts';
import type { Reading } from '../../../drivers/core/reading.ts';
import { RfidSource } from '../../../drivers/rfid/rfid-source.ts';
import type { Sighting } from '../../../drivers/rfid/sightings.ts';
import { encodeUhfTagNotice } from '../../../drivers/rfid/uhf-r200.ts';
import { MockLink } from '../ais/mock-link.ts';
import { until } from '../modbus/pty-pair.ts';

describe('RfidSource with a UHF reader', () => {
  it('debounces repeated EPC reads into one sighting carrying the strongest RSSI', async () => {
    const link = new MockLink();
    const clock = new ManualClock(0);
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', reader: 'gate/ant1', link, clock, holdMs: 500 });
    const got: Reading<Sighting>[] = [];
    await src.start((r) => got.push(r as Reading<Sighting>));
    const epc = 'E2801160600002054C4A0A5C';
    link.feed(encodeUhfTagNotice(epc, -61));
    clock.advance(100);
    link.feed(Buffer.concat([encodeUhfTagNotice(epc, -48), Buffer.from([0x00, 0x7e]), encodeUhfTagNotice(epc, -70)]));
    clock.advance(501);
    src.tick();
    expect(got.map((r) => [r.value.state, r.value.tag, r.value.reader, r.value.count, r.quality.rssi])).toEqual([
      ['open', epc, 'gate/ant1', 1, -61],
      ['closed', epc, 'gate/ant1', 3, -48],
    ]);
    expect(got[1]!.value).toMatchObject({ firstSeen: 0, lastSeen: 100 });
    expect(src.health()).toMatchObject({ discardedBytes: 2, errors: { RFID_DISCARDED: 1 } });
    await src.stop();
  });

  it('counts a frame cut off by an unplug as discarded and reopens the link', async () => {
    const link = new MockLink();
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', link, clock: new ManualClock(0), reopenMinMs: 1 });
    await src.start(() => {});
    link.feed(encodeUhfTagNotice('3008', -50).subarray(0, 6));
    link.vanish();
    expect(src.health()).toMatchObject({ state: 'down', discardedBytes: 6, errors: { RFID_LINK_LOST: 1 } });
    await until(() => link.opens === 2 && src.health().state === 'up', 'reopen');
    await src.stop();
  });
});

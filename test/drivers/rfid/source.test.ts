import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { RfidSource } from '../../../drivers/rfid/rfid-source.ts';
import type { Sighting } from '../../../drivers/rfid/sightings.ts';
import { encodeUhfTagNotice } from '../../../drivers/rfid/uhf-r200.ts';
import { ManualTimers } from '../../../core/timers.ts';
import { MockLink } from '../ais/mock-link.ts';
import { supervisedMock } from '../serial/helpers.ts';

/** The supervisor with its time stepped by hand. */
function rig(absentOpens = 0) {
  const timers = new ManualTimers(new ManualClock(0));
  return { timers, ...supervisedMock('mock://rfid', { absentOpens, backoff: { initialMs: 100, maxMs: 100, jitter: 0 }, timers }) };
}

/** Lets the supervisor's pending resolve/open promises run; no wall time passes. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

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

  it('counts a frame cut off by an unplug as discarded, and reads again once its supervisor reopened the port', async () => {
    const { link, ports, timers } = rig();
    const got: Reading<Sighting>[] = [];
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', link, clock: new ManualClock(0) });
    await src.start((r) => got.push(r as Reading<Sighting>));
    ports[0]!.receive(encodeUhfTagNotice('3008', -50).subarray(0, 6));
    ports[0]!.vanish();
    expect(src.health()).toMatchObject({ state: 'down', discardedBytes: 6, errors: { RFID_LINK_LOST: 1 } });
    timers.advance(100);
    await settle();
    expect(src.health()).toMatchObject({ state: 'up', detail: 'reopened', errors: { RFID_LINK_LOST: 1 } });
    ports[1]!.receive(encodeUhfTagNotice('3008', -50));
    expect(got.map((r) => [r.value.tag, r.value.state])).toEqual([['3008', 'open']]);
    await src.stop();
    expect(link.health().state).toBe('closed');
  });

  it('is down while its reader is absent at start, and up once the supervisor opens it', async () => {
    const { link, timers } = rig(2);
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', link, clock: new ManualClock(0) });
    await src.start(() => {});
    expect(src.health()).toMatchObject({ state: 'down', detail: 'mock://rfid not open yet' });
    timers.advance(100);
    await settle();
    expect(src.health().state).toBe('down');
    timers.advance(100);
    await settle();
    expect(src.health()).toMatchObject({ state: 'up', errors: {} });
    expect(src.health().detail).toBeUndefined();
    await src.stop();
  });

  it('stopped while its reader is away, stops the supervisor retrying too', async () => {
    const { link, ports, timers } = rig(1);
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', link, clock: new ManualClock(0) });
    await src.start(() => {});
    expect(timers.pendingDelays()).not.toEqual([]);
    await src.stop();
    expect(timers.pendingDelays()).toEqual([]);
    timers.advance(10_000);
    await settle();
    expect(ports).toHaveLength(1);
    expect(link.health().state).toBe('closed');
  });

  it('over a bare link, reports a vanished port as down and leaves reopening to a supervisor', async () => {
    const link = new MockLink();
    const src = new RfidSource({ id: 'gate-uhf', protocol: 'uhf-r200', link, clock: new ManualClock(0) });
    await src.start(() => {});
    link.vanish();
    expect(src.health()).toMatchObject({ state: 'down', detail: 'link lost: device vanished', errors: { RFID_LINK_LOST: 1 } });
    expect(link.opens).toBe(1);
    await src.stop();
  });
});

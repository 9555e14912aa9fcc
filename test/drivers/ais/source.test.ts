import { describe, expect, it } from 'vitest';
import { AisSource } from '../../../drivers/ais/ais-source.ts';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { until } from '../modbus/pty-pair.ts';
import { supervisedMock } from '../serial/helpers.ts';
import { positionA } from './ais-encoder.ts';
import { MockLink } from './mock-link.ts';

describe('AisSource', () => {
  it('emits one ais Reading per message with accuracy from the position accuracy flag, and counts what it rejects', async () => {
    const link = new MockLink();
    const clock = new ManualClock(1_700_000_000_000);
    const src = new AisSource({ id: 'ais0', link, clock, staleAfterMs: 60_000 });
    const got: Reading[] = [];
    await src.start((r) => got.push(r));
    expect(src.health().state).toBe('starting');
    const hi = positionA({ mmsi: 211331640, lon: 600000 * 9.97, lat: 600000 * 53.54, accuracy: true, speed: 3 });
    const lo = positionA({ mmsi: 211331641, lon: 600000 * 9.98, lat: 600000 * 53.55, accuracy: false });
    const noPos = positionA({ mmsi: 211331642, lon: 181 * 600000, lat: 91 * 600000 });
    link.feed(`garbage line\r\n${hi}\r\n${lo.slice(0, 20)}`);
    link.feed(`${lo.slice(20)}\r\n${hi.replace('*', 'X*')}\r\n${noPos}\n`);
    expect(got.map((r) => [r.modality, (r.value as { mmsi: number }).mmsi, r.quality.accuracyM, r.quality.ok])).toEqual([
      ['ais', 211331640, 10, true],
      ['ais', 211331641, 100, true],
      ['ais', 211331642, 100, false],
    ]);
    expect(got[0]!.t).toBe(1_700_000_000_000);
    const h = src.health();
    expect(h.state).toBe('up');
    expect(h.readings).toBe(3);
    expect(h.errors).toEqual({ AIS_NOT_A_SENTENCE: 1, AIS_BAD_CHECKSUM: 1 });
    // The garbage line's own bytes; its CR LF are delimiters, not data (drivers/framing/README.md).
    expect(h.discardedBytes).toBe('garbage line'.length);
    clock.advance(60_001);
    expect(src.health().state).toBe('stale');
    await src.stop();
  });

  it('over a ReconnectingLink, as the agent builds it: reports a vanished port as down and reads again once it is reopened', async () => {
    const { link, ports } = supervisedMock('mock://ais', { backoff: { initialMs: 1, maxMs: 1, jitter: 0 } });
    const src = new AisSource({ id: 'ais1', link, clock: new ManualClock(0) });
    const got: Reading[] = [];
    await src.start((r) => got.push(r));
    // Half a sentence, then the port vanishes: the fragment is judged, not glued to the next line.
    ports[0]!.receive('!AIVDM,1,1,,A,15M');
    ports[0]!.vanish();
    expect(src.health()).toMatchObject({ state: 'down', errors: { AIS_LINK_LOST: 1, AIS_MALFORMED: 1 } });
    await until(() => src.health().detail === 'reopened', 'reopened');
    expect(ports).toHaveLength(2);
    ports[1]!.receive(`${positionA({ mmsi: 211331640, lon: 600000 * 9.97, lat: 600000 * 53.54 })}\r\n`);
    expect(got.map((r) => (r.value as { mmsi: number }).mmsi)).toEqual([211331640]);
    expect(src.health()).toMatchObject({ state: 'up', errors: { AIS_LINK_LOST: 1 } });
    await src.stop();
    expect(link.health().state).toBe('closed');
  });

  it('over a bare link, reports a vanished port as down and leaves reopening to a supervisor', async () => {
    const link = new MockLink();
    const src = new AisSource({ id: 'ais2', link, clock: new ManualClock(0) });
    await src.start(() => {});
    link.vanish();
    expect(src.health()).toMatchObject({ state: 'down', detail: 'link lost: device vanished', errors: { AIS_LINK_LOST: 1 } });
    expect(link.opens).toBe(1);
    await src.stop();
  });
});

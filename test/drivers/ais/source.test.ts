import { describe, expect, it } from 'vitest';
import { AisSource } from '../../../drivers/ais/ais-source.ts';
import { ManualClock } from '../../../drivers/core/clock.ts';
import type { Reading } from '../../../drivers/core/reading.ts';
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
    expect(h.discardedBytes).toBe('garbage line\r\n'.length - 1);
    clock.advance(60_001);
    expect(src.health().state).toBe('stale');
    await src.stop();
  });

  it('reports a vanished link as down and reopens it', async () => {
    const link = new MockLink();
    const src = new AisSource({ id: 'ais1', link, clock: new ManualClock(0), reopenMinMs: 1 });
    await src.start(() => {});
    link.vanish();
    expect(src.health()).toMatchObject({ state: 'down', errors: { AIS_LINK_LOST: 1 } });
    await new Promise<void>((resolve) => {
      const poll = (): void => (link.opens >= 2 ? resolve() : void setTimeout(poll, 2));
      poll();
    });
    expect(link.isOpen).toBe(true);
    await src.stop();
  });
});

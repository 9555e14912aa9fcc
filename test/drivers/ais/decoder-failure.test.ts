/**
 * A bug in a payload decoder (simulated: decodeAisPayload throws a TypeError for one vessel's
 * payload) is neither taken for bad input nor fatal: the AIS source counts it as AIS_INTERNAL,
 * logs it at error and goes on reading the next sentences.
 */
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { AisSource } from '../../../drivers/ais/ais-source.ts';
import { positionA } from './ais-encoder.ts';
import { MockLink } from './mock-link.ts';
import { capturedLog } from '../../support/captured-log.ts';

const broken = vi.hoisted(() => ({ payload: '' }));

vi.mock(import('../../../drivers/ais/decode.ts'), async (importOriginal) => {
  const real = await importOriginal();
  return {
    ...real,
    decodeAisPayload: (payload, ...rest) => {
      if (payload === broken.payload) throw new TypeError("Cannot read properties of undefined (reading 'bits')");
      return real.decodeAisPayload(payload, ...rest);
    },
  };
});

describe('AisSource when a payload decoder throws a foreign error', () => {
  it('counts it as AIS_INTERNAL, logs it at error, emits no Reading for it and reads the next sentence', async () => {
    const bad = positionA({ mmsi: 211331649, lon: 600000 * 9.97, lat: 600000 * 53.54 });
    const good = positionA({ mmsi: 211331640, lon: 600000 * 9.98, lat: 600000 * 53.55 });
    broken.payload = bad.split(',')[5]!;
    const { lines, logger } = capturedLog();
    const link = new MockLink();
    const src = new AisSource({ id: 'ais0', link, clock: new ManualClock(0), logger });
    const got: Reading[] = [];
    await src.start((r) => got.push(r));
    link.feed(`${bad}\r\n${good}\r\n`);
    expect(got.map((r) => (r.value as { mmsi: number }).mmsi)).toEqual([211331640]);
    expect(src.health()).toMatchObject({ state: 'up', errors: { AIS_INTERNAL: 1 } });
    expect(src.health().errors.AIS_MALFORMED).toBeUndefined();
    expect(lines.filter((l) => l.level === 'error')).toMatchObject([{ code: 'AIS_INTERNAL', error: { name: 'TypeError' } }]);
    await src.stop();
  });
});

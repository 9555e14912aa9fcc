/**
 * A significant change inside the minimum interval is signed from a timer when the interval
 * ends. What that timer's step throws (computing the envelope) or rejects with (signing it)
 * goes to the emitter's `failed` (the agent counts and logs it), never to the process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvelopeBuilder, PlaceEnvelope } from '../../agent/domain/envelope.ts';
import { EnvelopeEmitter } from '../../agent/runtime/envelope-emitter.ts';
import { collectUnhandledRejections } from '../support/unhandled-rejections.ts';

const envelope = (t: number, value: number): PlaceEnvelope => ({ dims: { occupied: { value } as PlaceEnvelope['dims'][string] }, valid: [t, t + 1000] });

describe('EnvelopeEmitter when its deferred signing fails', () => {
  const unhandled = collectUnhandledRejections();
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  beforeEach(() => {
    process.prependListener('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
  });

  function rig(compute: (t: number) => PlaceEnvelope, sign: (e: PlaceEnvelope) => Promise<unknown>) {
    const failed: unknown[] = [];
    let now = 1_000_000;
    const builder = { profile: { dims: [{ id: 'occupied', unit: 'count' }] }, compute } as unknown as EnvelopeBuilder;
    const emitter = new EnvelopeEmitter(builder, { minIntervalMs: 20, clock: { now: () => now }, sign, failed: (e) => failed.push(e) });
    return { emitter, failed, advance: (ms: number) => (now += ms) };
  }

  it('hands a throw while computing the deferred envelope to failed', async () => {
    let calls = 0;
    const signed: PlaceEnvelope[] = [];
    const { emitter, failed, advance } = rig(
      (t) => {
        calls++;
        if (calls === 3) throw new TypeError('builder bug');
        return envelope(t, calls);
      },
      async (e) => void signed.push(e),
    );
    emitter.changed(); // signed at once
    advance(5);
    emitter.changed(); // a change inside the interval: deferred
    await new Promise((r) => setTimeout(r, 60));
    emitter.stop();
    expect(signed).toHaveLength(1);
    expect(failed).toEqual([expect.any(TypeError)]);
    expect(unhandled).toEqual([]);
    expect(uncaught).toEqual([]);
  });

  it('hands a rejected signing to failed', async () => {
    const { emitter, failed } = rig((t) => envelope(t, 1), () => Promise.reject(new RangeError('sign bug')));
    emitter.changed();
    await new Promise((r) => setTimeout(r, 10));
    emitter.stop();
    expect(failed).toEqual([expect.any(RangeError)]);
    expect(unhandled).toEqual([]);
  });
});

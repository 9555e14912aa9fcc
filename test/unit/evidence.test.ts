/** The value-confidence rule of agent/domain/evidence.ts on its edge cases. */
import { describe, expect, it } from 'vitest';
import { distanceM, fuse, noisyOr, readingConfidence } from '../../agent/domain/evidence.ts';
import type { Reading } from '../../core/reading.ts';

const r = (over: Partial<Reading> = {}): Reading => ({ source: 's', modality: 'range', t: 10_000, value: {}, quality: { ok: true }, ...over });

describe('reading confidence', () => {
  it('is the modality reliability for a fresh, unflagged reading', () => {
    expect(readingConfidence(r(), 10_000, 5000, 0.8)).toBeCloseTo(0.8);
  });
  it('is zero for a reading that flags itself not ok', () => {
    expect(readingConfidence(r({ quality: { ok: false } }), 10_000, 5000, 0.8)).toBe(0);
  });
  it('scales by 10 / accuracy beyond 10 m and not below', () => {
    expect(readingConfidence(r({ quality: { ok: true, accuracyM: 50 } }), 10_000, 5000, 1)).toBeCloseTo(0.2);
    expect(readingConfidence(r({ quality: { ok: true, accuracyM: 3 } }), 10_000, 5000, 1)).toBeCloseTo(1);
  });
  it('holds for the freshness age, then halves every further freshness age', () => {
    expect(readingConfidence(r(), 15_000, 5000, 1)).toBeCloseTo(1);
    expect(readingConfidence(r(), 20_000, 5000, 1)).toBeCloseTo(0.5);
    expect(readingConfidence(r(), 25_000, 5000, 1)).toBeCloseTo(0.25);
  });
});

describe('fusion', () => {
  it('combines agreeing sources by noisy-OR and names every source', () => {
    const d = fuse([
      { source: 'radar', value: true, confidence: 0.8 },
      { source: 'ais', value: true, confidence: 0.5 },
    ])!;
    expect(d.value).toBe(true);
    expect(d.conf).toBeCloseTo(0.9);
    expect(d.sources).toEqual(['ais', 'radar']);
  });
  it('lets the stronger side win and lowers its confidence by half the dissent', () => {
    const d = fuse([
      { source: 'radar', value: true, confidence: 0.8 },
      { source: 'loop', value: false, confidence: 0.4 },
    ])!;
    expect(d.value).toBe(true);
    expect(d.conf).toBeCloseTo(0.8 * (1 - 0.4 / 2));
  });
  it('has no value when no source has any confidence', () => {
    expect(fuse([{ source: 'x', value: 1, confidence: 0 }])).toBeUndefined();
    expect(noisyOr([])).toBe(0);
  });
  it('measures great-circle distance (1 arc-minute of latitude is about 1853 m)', () => {
    expect(distanceM({ lat: 0, lon: 0 }, { lat: 1 / 60, lon: 0 })).toBeCloseTo(1853.2, 0);
  });
});

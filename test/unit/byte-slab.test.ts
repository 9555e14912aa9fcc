import { describe, expect, it } from 'vitest';
import { ByteSlab } from '../../agent/encoding/byte-slab.ts';

describe('ByteSlab', () => {
  it('hands out views that do not overlap, across chunk boundaries', () => {
    const slab = new ByteSlab(4096);
    const views = Array.from({ length: 40 }, (_, i) => {
      const v = slab.take(300 + i);
      v.fill(i + 1);
      return v;
    });
    // Written in order; any overlap would have overwritten an earlier view's bytes.
    views.forEach((v, i) => {
      expect(v.length).toBe(300 + i);
      expect(v.every((b) => b === i + 1)).toBe(true);
    });
    // 40 views of about 320 bytes do not fit one 4 KiB chunk: more than one chunk was used.
    expect(new Set(views.map((v) => v.buffer)).size).toBeGreaterThan(1);
  });

  it('gives a request over a quarter of a chunk an array of its own', () => {
    const slab = new ByteSlab(4096);
    const small = slab.take(100);
    const big = slab.take(1025);
    expect(big.buffer).not.toBe(small.buffer);
    expect(big.buffer.byteLength).toBe(1025);
  });

  it('sizes chunks for a batch up to 64 KiB, and gives a batch of one an array of its own', () => {
    expect(ByteSlab.chunkFor(10, 1300)).toBe(13_000);
    expect(ByteSlab.chunkFor(512, 1300)).toBe(65_536);
    const one = new ByteSlab(ByteSlab.chunkFor(1, 1300)).take(1200);
    expect(one.buffer.byteLength).toBe(1200);
  });
});

/** Seeded mutation fuzzing helpers shared by the driver fuzz tests (deterministic: a failure reproduces). */
export { seededRandom as mulberry32 } from '../../support/prng.ts';

export class Mutator {
  constructor(readonly rnd: () => number) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  randomBytes(max: number): Uint8Array {
    const out = new Uint8Array(this.int(max + 1));
    for (let i = 0; i < out.length; i++) out[i] = this.int(256);
    return out;
  }

  bitFlips(b: Uint8Array, flips = 1 + this.int(4)): Uint8Array {
    const out = b.slice();
    for (let i = 0; i < flips && out.length > 0; i++) {
      const j = this.int(out.length);
      out[j] = out[j]! ^ (1 << this.int(8));
    }
    return out;
  }

  truncate(b: Uint8Array): Uint8Array {
    return this.rnd() < 0.5 ? b.slice(0, this.int(b.length + 1)) : b.slice(this.int(b.length + 1));
  }

  splice(a: Uint8Array, b: Uint8Array): Uint8Array {
    const x = a.slice(0, this.int(a.length + 1));
    const y = b.slice(this.int(b.length + 1));
    const out = new Uint8Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  }

  /** One of: bit flips, truncation, splice of two seeds, random bytes, or a seed repeated. */
  mutate(seeds: readonly Uint8Array[]): Uint8Array {
    const s = this.pick(seeds);
    switch (this.int(5)) {
      case 0:
        return this.bitFlips(s);
      case 1:
        return this.truncate(s);
      case 2:
        return this.splice(s, this.pick(seeds));
      case 3:
        return this.randomBytes(64);
      default:
        return this.bitFlips(this.splice(s, s), 1);
    }
  }
}

export const FUZZ_CASES = 100_000;

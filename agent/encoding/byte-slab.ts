/**
 * Byte arrays for the many small buffers of one batch (the Sig_structures and COSE bytes of a
 * few hundred observations), cut from a few large chunks. Each `new Uint8Array(n)` over 64 bytes
 * is an ArrayBuffer of its own, zero-filled, with a backing store the garbage collector tracks
 * and sweeps; at thousands of observations a second those allocations and their sweeping are
 * a visible share of the pipeline thread's time (a CPU profile of the pipeline bench showed
 * assembling one observation's COSE bytes at about 8 µs, most of it the array's allocation).
 *
 * Views returned by take() share their chunk: a chunk is freed once no view of it is left, so a
 * slab serves buffers that live about as long as each other (one batch). Every byte of a view
 * must be written by its user (the chunk is zeroed once, when it is made, not per view).
 */
export class ByteSlab {
  private chunk = new Uint8Array(0);
  private used = 0;

  /** @param chunkBytes size of each chunk; a request over a quarter of it gets an array of its own. */
  constructor(private readonly chunkBytes = 64 * 1024) {}

  take(n: number): Uint8Array {
    if (n > this.chunkBytes >>> 2) return new Uint8Array(n);
    if (this.used + n > this.chunk.length) {
      this.chunk = new Uint8Array(this.chunkBytes);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }

  /**
   * Chunk size for `count` buffers of about `each` bytes: no more than they need, at most 64 KiB.
   * A batch of one or two (a gateway's usual load) gets arrays of their own: a view kept for
   * long (an observation some component holds on to) must not pin a chunk many times its size.
   */
  static chunkFor(count: number, each: number): number {
    return Math.min(64 * 1024, count * each);
  }
}

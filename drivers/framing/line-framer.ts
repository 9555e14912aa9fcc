/**
 * Line framing for ASCII protocols (NMEA 0183, ser2net consoles): frames end at CR or LF.
 * Framing is separate from decoding and no byte disappears silently (STYLE.md): every byte
 * that is not returned inside a frame comes back in a `discarded` event with a reason, and
 * is counted. Delimiters (CR, LF) are the only bytes consumed without an event.
 *
 * Memory is bounded: the framer holds at most `maxLength` bytes between calls.
 */
export type DiscardReason =
  /** The line grew past `maxLength` before its delimiter; bytes up to the next delimiter are dropped. */
  | 'too-long'
  /** Bytes before a start byte (e.g. `$`/`!` for NMEA) on the same line: line noise, a partial first line. */
  | 'no-start'
  /** A new start byte arrived before the current frame's delimiter: the current frame was cut short. */
  | 'interrupted'
  /** Input ended (flush) with an unterminated frame. */
  | 'incomplete';

/**
 * A `discarded` event stands for one or more consecutive discarded runs with the same reason
 * (no frame between them, within one `push`): `length` is their exact byte count, `runs` how
 * many there were, `bytes` a sample (the first run, at most 64 bytes of an over-long line).
 * Merging keeps 5 MB of `$` (each one cutting the previous short) from becoming millions of
 * events; the byte accounting stays exact.
 */
export type FrameEvent =
  | { kind: 'frame'; bytes: Uint8Array }
  | { kind: 'discarded'; bytes: Uint8Array; reason: DiscardReason; length: number; runs: number };

export interface LineFramerOptions {
  /** Longest frame kept, delimiters excluded. NMEA 0183 §5.3 allows 82 characters; receivers exceed it, so NMEA uses 256. */
  maxLength: number;
  /**
   * When set, a frame must begin with one of these bytes; anything before it on the line is
   * discarded as `no-start`, and a start byte inside a frame begins a new frame (`interrupted`).
   * NMEA 0183 §5.1.3 reserves `$` and `!` as sentence starts, so they never occur inside one.
   */
  startBytes?: readonly number[];
}

const CR = 0x0d;
const LF = 0x0a;
/** How many bytes of an over-long line are kept in its `discarded` event; the count is exact, the sample is bounded. */
const DISCARD_SAMPLE = 64;

export class LineFramer {
  private readonly buf: Uint8Array;
  private len = 0;
  /** True while dropping the tail of an over-long line, until the next delimiter. */
  private overflowing = false;
  private overflowCount = 0;
  private readonly isStart: Uint8Array | undefined;
  private discarded = 0;
  private frames = 0;

  constructor(readonly options: LineFramerOptions) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
      throw new RangeError(`LineFramer maxLength must be a positive integer, got ${options.maxLength}`);
    }
    this.buf = new Uint8Array(options.maxLength);
    if (options.startBytes && options.startBytes.length > 0) {
      this.isStart = new Uint8Array(256);
      for (const b of options.startBytes) this.isStart[b & 0xff] = 1;
    }
  }

  /** Bytes currently held (never more than `maxLength`). */
  get bufferedBytes(): number {
    return this.len;
  }

  /** Bytes discarded since construction (exact, including over-long tails). */
  get discardedBytes(): number {
    return this.discarded;
  }

  get frameCount(): number {
    return this.frames;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    const max = this.options.maxLength;
    const isStart = this.isStart;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === CR || b === LF) {
        if (this.overflowing) this.endOverflow(out);
        else if (this.len > 0) this.emitFrame(out);
        continue;
      }
      if (isStart !== undefined && isStart[b] === 1) {
        if (this.overflowing) this.endOverflow(out);
        else if (this.len > 0) this.discard(out, isStart[this.buf[0]!] === 1 ? 'interrupted' : 'no-start');
        this.buf[0] = b;
        this.len = 1;
        continue;
      }
      if (this.overflowing) {
        this.overflowCount++;
        continue;
      }
      // Noise before a start byte is buffered like a line and discarded as `no-start` at its end.
      if (this.len === max) {
        this.overflowing = true;
        this.overflowCount = this.len + 1;
        this.len = Math.min(this.len, DISCARD_SAMPLE);
        continue;
      }
      this.buf[this.len++] = b;
    }
    return out;
  }

  flush(): FrameEvent[] {
    const out: FrameEvent[] = [];
    if (this.overflowing) this.endOverflow(out);
    else if (this.len > 0) {
      if (this.isStart !== undefined && this.isStart[this.buf[0]!] !== 1) this.discard(out, 'no-start');
      else this.discard(out, 'incomplete');
    }
    return out;
  }

  private report(out: FrameEvent[], reason: DiscardReason, length: number): void {
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === 'discarded' && last.reason === reason) {
      last.length += length;
      last.runs++;
      return;
    }
    out.push({ kind: 'discarded', bytes: this.buf.slice(0, this.len), reason, length, runs: 1 });
  }

  private emitFrame(out: FrameEvent[]): void {
    if (this.isStart !== undefined && this.isStart[this.buf[0]!] !== 1) {
      this.discard(out, 'no-start');
      return;
    }
    out.push({ kind: 'frame', bytes: this.buf.slice(0, this.len) });
    this.frames++;
    this.len = 0;
  }

  private discard(out: FrameEvent[], reason: DiscardReason): void {
    this.report(out, reason, this.len);
    this.discarded += this.len;
    this.len = 0;
  }

  private endOverflow(out: FrameEvent[]): void {
    this.report(out, 'too-long', this.overflowCount);
    this.discarded += this.overflowCount;
    this.overflowing = false;
    this.overflowCount = 0;
    this.len = 0;
  }
}

/** The framer NMEA 0183 sentences use: `$` or `!` start, CR/LF end, 256 bytes max. */
export function createNmeaLineFramer(maxLength = 256): LineFramer {
  return new LineFramer({ maxLength, startBytes: [0x24, 0x21] });
}

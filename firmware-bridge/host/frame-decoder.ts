/**
 * Streaming receiver: bytes in any chunking → one event per 0x00-delimited block. Nothing
 * disappears silently: a block that is not a valid frame comes out as `rejected` with its
 * byte count, so resynchronisation is visible and countable (after zwave-js's
 * `Discarded` stream-parser result, STYLE.md).
 */
import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import type { FrameErrorCode, McuFrameRejectCode } from './errors.ts';
import type { FrameHeader } from './frame.ts';
import { decodeBlock, MAX_BLOCK, PROTOCOL_VERSION_MAX } from './frame.ts';
import type { McuFrame } from './message.ts';

export type FrameEvent =
  | { kind: 'frame'; frame: McuFrame; bytes: number }
  | { kind: 'rejected'; code: FrameErrorCode; bytes: number; header?: FrameHeader; raw: Uint8Array };

export class FrameDecoder {
  private buf = new Uint8Array(MAX_BLOCK);
  private len = 0;
  /** Bytes thrown away because the block grew past MAX_BLOCK (still counted in the event). */
  private overflow = 0;

  constructor(private readonly maxVersion = PROTOCOL_VERSION_MAX) {}

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    for (const b of chunk) {
      if (b !== 0) {
        if (this.len < this.buf.length) this.buf[this.len++] = b;
        else this.overflow++;
        continue;
      }
      // Consecutive delimiters are idle fill, not empty frames.
      if (this.len === 0 && this.overflow === 0) continue;
      events.push(this.finish());
    }
    return events;
  }

  /** Bytes held while waiting for a delimiter. */
  pending(): number {
    return this.len + this.overflow;
  }

  /** End of input: an unterminated block comes out as rejected. */
  flush(): FrameEvent[] {
    if (this.len === 0 && this.overflow === 0) return [];
    const ev = this.finish();
    return [ev.kind === 'rejected' ? ev : { kind: 'rejected', code: 'SHORT', bytes: ev.bytes, raw: new Uint8Array(0) }];
  }

  private finish(): FrameEvent {
    const block = this.buf.slice(0, this.len);
    const bytes = this.len + this.overflow + 1;
    const overflowed = this.overflow > 0;
    this.len = 0;
    this.overflow = 0;
    if (overflowed) return { kind: 'rejected', code: 'TOO_LONG', bytes, raw: block };
    const r = decodeBlock(block, this.maxVersion);
    if (r.ok) return { kind: 'frame', frame: r.frame, bytes };
    return r.header
      ? { kind: 'rejected', code: r.code, bytes, header: r.header, raw: block }
      : { kind: 'rejected', code: r.code, bytes, raw: block };
  }
}

/** The FrameDecoder behind the agent-wide StreamDecoder surface (`place-agent decode mcu`). */
export function createMcuStreamDecoder(): StreamDecoder<McuFrameRejectCode> {
  const d = new FrameDecoder();
  const map = (events: FrameEvent[]): DecodeEvent<McuFrameRejectCode>[] =>
    events.map((e) =>
      e.kind === 'frame'
        ? { ok: true, message: { ...e.frame } }
        : { ok: false, code: `MCUB_FRAME_${e.code}`, reason: `${e.bytes} bytes discarded`, raw: Buffer.from(e.raw).toString('hex') },
    );
  return { push: (c) => map(d.push(c)), flush: () => map(d.flush()) };
}

import { systemClock, type Clock } from '../../core/clock.ts';
import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { AisDecoder, type AisDecoderOptions, type AisLineResult } from './ais-decoder.ts';
import { AisErrorCode } from './errors.ts';
import { LineFramer, type FrameEvent } from '../framing/line-framer.ts';

/** IEC 61162-1 caps a sentence at 82 characters; leave room for tag blocks and sloppy senders. */
export const AIS_MAX_LINE = 512;

/** `place-agent decode ais`: bytes in, one event per decoded message or rejected input. */
export function createAisStreamDecoder(options: Partial<AisDecoderOptions> = {}): StreamDecoder<AisErrorCode> {
  const clock: Clock = options.clock ?? systemClock;
  const decoder = new AisDecoder({ ...options, clock });
  // No start bytes: a tag block may precede the sentence; the decoder judges each line.
  const framer = new LineFramer({ maxLength: AIS_MAX_LINE });
  const toEvents = (results: AisLineResult[]): DecodeEvent<AisErrorCode>[] =>
    results.map((r) => (r.ok ? { ok: true, message: r.message } : { ok: false, code: r.error.code, reason: r.error.message, raw: r.line }));
  // A last line without its line end (the input ended, `incomplete`) is still decoded.
  const lines = (events: FrameEvent[]): DecodeEvent<AisErrorCode>[] =>
    events.flatMap((ev): DecodeEvent<AisErrorCode>[] =>
      ev.kind === 'frame' || ev.reason === 'incomplete'
        ? toEvents(decoder.pushLine(Buffer.from(ev.bytes).toString('latin1')))
        : [{ ok: false, code: AisErrorCode.LineTooLong, reason: `line longer than ${AIS_MAX_LINE} bytes, ${ev.length} bytes discarded`, raw: Buffer.from(ev.bytes.subarray(0, 40)).toString('latin1') }],
    );
  return {
    push(chunk) {
      const out = lines(framer.push(chunk));
      out.push(...toEvents(decoder.expire()));
      return out;
    },
    flush() {
      const out = lines(framer.flush());
      out.push(...toEvents(decoder.flush()));
      return out;
    },
  };
}

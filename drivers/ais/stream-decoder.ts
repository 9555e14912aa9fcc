import { systemClock, type Clock } from '../../core/clock.ts';
import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { AisDecoder, type AisDecoderOptions, type AisLineResult } from './ais-decoder.ts';
import { AisErrorCode } from './errors.ts';
import { LineFramer } from './line-framer.ts';

/** IEC 61162-1 caps a sentence at 82 characters; leave room for tag blocks and sloppy senders. */
export const AIS_MAX_LINE = 512;

/** `place-agent decode ais`: bytes in, one event per decoded message or rejected input. */
export function createAisStreamDecoder(options: Partial<AisDecoderOptions> = {}): StreamDecoder {
  const clock: Clock = options.clock ?? systemClock;
  const decoder = new AisDecoder({ ...options, clock });
  let overflow: DecodeEvent[] = [];
  const framer = new LineFramer(AIS_MAX_LINE, (dropped, head) => {
    overflow.push({ ok: false, code: AisErrorCode.LineTooLong, reason: `line longer than ${AIS_MAX_LINE} bytes, ${dropped} bytes discarded`, raw: head });
  });
  const toEvents = (results: AisLineResult[]): DecodeEvent[] =>
    results.map((r) => (r.ok ? { ok: true, message: r.message } : { ok: false, code: r.error.code, reason: r.error.message, raw: r.line }));
  return {
    push(chunk) {
      const lines = framer.push(chunk);
      const out = overflow;
      overflow = [];
      for (const l of lines) out.push(...toEvents(decoder.pushLine(l)));
      out.push(...toEvents(decoder.expire()));
      return out;
    },
    flush() {
      const out: DecodeEvent[] = [];
      for (const l of framer.flush()) out.push(...toEvents(decoder.pushLine(l)));
      out.push(...overflow);
      overflow = [];
      out.push(...toEvents(decoder.flush()));
      return out;
    },
  };
}

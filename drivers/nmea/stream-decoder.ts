import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { createNmeaLineFramer, type FrameEvent } from '../framing/line-framer.ts';
import { decodeNmeaSentence } from './codec.ts';
import type { EnvelopeOptions } from './envelope.ts';
import { NmeaDecodeFramingCode, type NmeaErrorCode } from './errors.ts';

export interface NmeaStreamDecoderOptions extends EnvelopeOptions {
  /** Longest sentence kept by the framer (default 256). */
  maxLength?: number;
}

const latin1 = new TextDecoder('latin1');

/** The codes `place-agent decode nmea` reports: a rejected sentence's, or framing. */
export type NmeaDecodeCode = NmeaErrorCode | NmeaDecodeFramingCode;

/**
 * What `place-agent decode nmea` drives: raw bytes in; each sentence out as a plain JSON
 * object (`{talker, sentence, ...fields}`), each rejected sentence or discarded run of bytes
 * out with its code and reason. Framing discards use code `NMEA_FRAMING` (NmeaDecodeFramingCode)
 * with the framer's reason.
 */
export function createNmeaStreamDecoder(options: NmeaStreamDecoderOptions = {}): StreamDecoder<NmeaDecodeCode> {
  const framer = createNmeaLineFramer(options.maxLength);
  const toEvents = (frames: FrameEvent[]): DecodeEvent<NmeaDecodeCode>[] => {
    const out: DecodeEvent<NmeaDecodeCode>[] = [];
    for (const f of frames) {
      const raw = latin1.decode(f.bytes);
      if (f.kind === 'discarded') {
        // The framer merges consecutive discards (5 MB of `$` is a handful of events): say how many.
        const reason = f.runs === 1 ? f.reason : `${f.reason} (${f.runs} runs, ${f.length} bytes)`;
        out.push({ ok: false, code: NmeaDecodeFramingCode.Framing, reason, raw });
        continue;
      }
      const r = decodeNmeaSentence(raw, options);
      if (r.ok) {
        out.push({ ok: true, message: { ...r.sentence } });
        for (const fe of r.fieldErrors) out.push({ ok: false, code: fe.code, reason: fe.message, raw });
      } else out.push({ ok: false, code: r.error.code, reason: r.error.message, raw });
    }
    return out;
  };
  return {
    push: (chunk) => toEvents(framer.push(chunk)),
    flush: () => toEvents(framer.flush()),
  };
}

import type { Clock } from '../../core/clock.ts';
import { decodeAisPayload } from './decode.ts';
import { AisError, AisErrorCode } from './errors.ts';
import type { AisMessage } from './messages/types.ts';
import { AisFragmentAssembler } from './reassembly.ts';
import { parseAisSentence } from './sentence.ts';
import { AisType24Merger } from './type24.ts';

export interface AisDecoderOptions {
  clock: Clock;
  /** Scaled units as `gpsdecode -j` (default true) or raw integers as `gpsdecode -u -j`. */
  scaled?: boolean;
  /** 'merge' (default, gpsd-compatible): one type 24 per A+B pair; 'parts': each part on its own, with `partno`. */
  type24?: 'merge' | 'parts';
  fragmentTimeoutMs?: number;
}

export type AisLineResult =
  | { ok: true; message: AisMessage; own: boolean; channel: string }
  | { ok: false; error: AisError; line: string };

/** Sentence lines in, decoded messages and coded rejections out. Pure apart from the injected clock. */
export class AisDecoder {
  private readonly assembler: AisFragmentAssembler;
  private readonly merger: AisType24Merger | undefined;
  private readonly scaled: boolean;

  constructor(options: AisDecoderOptions) {
    this.assembler = new AisFragmentAssembler({ clock: options.clock, ...(options.fragmentTimeoutMs ? { timeoutMs: options.fragmentTimeoutMs } : {}) });
    this.merger = (options.type24 ?? 'merge') === 'merge' ? new AisType24Merger() : undefined;
    this.scaled = options.scaled ?? true;
  }

  pushLine(rawLine: string): AisLineResult[] {
    const line = rawLine.trim();
    if (line === '') return [];
    const parsed = parseAisSentence(line);
    if (!parsed.ok) return [{ ok: false, error: parsed.error, line }];
    const out: AisLineResult[] = [];
    for (const ev of this.assembler.push(parsed.value)) {
      if (!ev.ok) {
        out.push({ ok: false, error: ev.error, line });
        continue;
      }
      const { payload, fillBits, own, channel } = ev.value;
      let message: AisMessage;
      try {
        message = decodeAisPayload(payload, fillBits, { scaled: this.scaled });
      } catch (e) {
        out.push({ ok: false, error: asAisError(e), line });
        continue;
      }
      if (this.merger && message.type === 24) {
        const merged = this.merger.push(message, channel);
        if (merged === undefined) continue;
        if (merged instanceof AisError) {
          out.push({ ok: false, error: merged, line });
          continue;
        }
        message = merged;
      }
      out.push({ ok: true, message, own, channel });
    }
    return out;
  }

  /** Partial messages that timed out, reported without waiting for the next line. */
  expire(): AisLineResult[] {
    return this.assembler.expire().flatMap((ev) => (ev.ok ? [] : [{ ok: false as const, error: ev.error, line: '' }]));
  }

  flush(): AisLineResult[] {
    return this.assembler.flush().flatMap((ev) => (ev.ok ? [] : [{ ok: false as const, error: ev.error, line: '' }]));
  }
}

function asAisError(e: unknown): AisError {
  if (e instanceof AisError) return e;
  // Decoders only throw AisError; anything else is a bug here, still reported as a coded rejection.
  return new AisError(AisErrorCode.Internal, `decoder failure: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
}

import type { Clock } from '../../core/clock.ts';
import { AisError, AisErrorCode } from './errors.ts';
import type { AisSentence } from './sentence.ts';

export interface ReassemblyOptions {
  clock: Clock;
  /** How long a partial message waits for its next fragment. AIS fragments of one message share one slot burst, so seconds are generous. */
  timeoutMs?: number;
  /** Bound on partial messages held at once; the oldest is abandoned (and reported) beyond it. */
  maxPending?: number;
}

export interface CompleteAisPayload {
  payload: string;
  fillBits: number;
  channel: string;
  own: boolean;
  fragments: number;
}

export type ReassemblyEvent = { ok: true; value: CompleteAisPayload } | { ok: false; error: AisError };

interface Pending {
  key: string;
  startedAt: number;
  next: number;
  count: number;
  parts: string[];
  channel: string;
  sequenceId: string;
}

/**
 * Joins multi-sentence messages, keyed by (channel, sequential message id, fragment count)
 * as IEC 61162-1 VDM intends. Fragments must come in order; anything else is reported,
 * never dropped silently.
 */
export class AisFragmentAssembler {
  private readonly pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly maxPending: number;

  constructor(options: ReassemblyOptions) {
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxPending = options.maxPending ?? 32;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  push(s: AisSentence): ReassemblyEvent[] {
    const out = this.expire();
    if (s.fragmentCount === 1) {
      out.push({ ok: true, value: { payload: s.payload, fillBits: s.fillBits, channel: s.channel, own: s.own, fragments: 1 } });
      return out;
    }
    const key = `${s.channel}|${s.sequenceId}|${s.fragmentCount}`;
    const p = this.pending.get(key);
    if (s.fragmentNumber === 1) {
      if (p) {
        this.pending.delete(key);
        out.push(missing(p, `superseded by a new first fragment after ${p.next - 1} of ${p.count}`));
      }
      if (this.pending.size >= this.maxPending) {
        const oldest = this.pending.values().next().value as Pending;
        this.pending.delete(oldest.key);
        out.push(missing(oldest, 'abandoned: too many partial messages'));
      }
      this.pending.set(key, {
        key,
        startedAt: this.clock.now(),
        next: 2,
        count: s.fragmentCount,
        parts: [s.payload],
        channel: s.channel,
        sequenceId: s.sequenceId,
      });
      return out;
    }
    if (!p) {
      out.push({
        ok: false,
        error: new AisError(AisErrorCode.FragmentOutOfOrder, `fragment ${s.fragmentNumber} of ${s.fragmentCount} without its earlier fragments`, {
          channel: s.channel,
          sequenceId: s.sequenceId,
          fragment: s.fragmentNumber,
          count: s.fragmentCount,
        }),
      });
      return out;
    }
    if (s.fragmentNumber !== p.next) {
      this.pending.delete(key);
      out.push({
        ok: false,
        error: new AisError(AisErrorCode.FragmentOutOfOrder, `fragment ${s.fragmentNumber} of ${s.fragmentCount} where ${p.next} was expected`, {
          channel: s.channel,
          sequenceId: s.sequenceId,
          fragment: s.fragmentNumber,
          expected: p.next,
          count: s.fragmentCount,
        }),
      });
      return out;
    }
    p.parts.push(s.payload);
    p.next++;
    if (s.fragmentNumber === s.fragmentCount) {
      this.pending.delete(key);
      out.push({ ok: true, value: { payload: p.parts.join(''), fillBits: s.fillBits, channel: s.channel, own: s.own, fragments: s.fragmentCount } });
    }
    return out;
  }

  /** Reports and forgets partial messages older than the timeout. */
  expire(): ReassemblyEvent[] {
    const now = this.clock.now();
    const out: ReassemblyEvent[] = [];
    for (const p of this.pending.values()) {
      if (now - p.startedAt > this.timeoutMs) {
        this.pending.delete(p.key);
        out.push(missing(p, `timed out after ${now - p.startedAt} ms`));
      }
    }
    return out;
  }

  /** End of input: every partial message is reported as missing fragments. */
  flush(): ReassemblyEvent[] {
    const out = [...this.pending.values()].map((p) => missing(p, 'input ended'));
    this.pending.clear();
    return out;
  }
}

function missing(p: Pending, why: string): ReassemblyEvent {
  return {
    ok: false,
    error: new AisError(AisErrorCode.FragmentMissing, `message ${p.sequenceId || '-'} on channel ${p.channel || '-'} incomplete (${p.next - 1} of ${p.count}): ${why}`, {
      channel: p.channel,
      sequenceId: p.sequenceId,
      received: p.next - 1,
      count: p.count,
    }),
  };
}

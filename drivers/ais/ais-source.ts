import { systemClock, type Clock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { logRejects, RejectLog, type RejectLogRate } from '../../core/reject-log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { watchLink, type WatchedLink } from '../serial/link-events.ts';
import { AisDecoder, type AisLineResult } from './ais-decoder.ts';
import { AisErrorCode } from './errors.ts';
import { LineFramer, type FrameEvent } from '../framing/line-framer.ts';
import type { AisMessage } from './messages/types.ts';
import { AIS_MAX_LINE } from './stream-decoder.ts';

export interface AisSourceOptions {
  id: string;
  /** A ReconnectingLink to have a vanished port reopened (as the agent builds it); a bare link stays down. */
  link: WatchedLink;
  clock?: Clock;
  logger?: Logger;
  /** No decoded message for this long makes the source 'stale' (default 60 s: Class A reports every 2 to 10 s, but a quiet berth may hear only Class B every 3 min). */
  staleAfterMs?: number;
  /** Rejections logged in detail per interval (the rest counted and summarised). Default 5 per 10 s. */
  rejectLog?: RejectLogRate;
}

/**
 * Message types that report a unit (a vessel): Class A and B positions, static data, and
 * long-range positions (27).
 * Base station reports (4), UTC responses (11), aids to navigation (21), DGNSS broadcasts (17)
 * and group assignments (23) come from fixed infrastructure, SAR aircraft (9) are not vessels,
 * and acknowledgements (7, 13), inquiries and interrogations (10, 15), link and channel
 * management and assignments (16, 20, 22), binary (6, 8, 25, 26) and safety text messages (12, 14)
 * say nothing about where a unit is: a presence rule must never take a buoy or the port's base station near
 * the berth for a vessel, so the source counts these (AIS_NOT_A_UNIT) and emits no Reading.
 */
export const UNIT_AIS_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 5, 18, 19, 24, 27]);

/** ITU-R M.1371-5 Table 46: position accuracy flag 1 = better than 10 m (DGNSS), 0 = worse than 10 m. */
export const AIS_HIGH_ACCURACY_M = 10;
/** For flag 0 the standard only says "> 10 m"; we assume unaugmented GNSS at a conservative 100 m. */
export const AIS_LOW_ACCURACY_M = 100;

/** An AIS receiver on a byte link (serial or TCP): NMEA lines in, one Reading of modality 'ais' per decoded message. */
export class AisSource implements ReadingSource {
  readonly id: string;
  private readonly link: WatchedLink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rejects: RejectLog<AisErrorCode>;
  private readonly errors = new ErrorCounter<AisErrorCode>();
  private readonly decoder: AisDecoder;
  private readonly framer: LineFramer;
  private readonly staleAfterMs: number;
  private state: SourceHealth['state'] = 'starting';
  private readings = 0;
  private discarded = 0;
  private lastReadingAt: number | undefined;
  private detail: string | undefined;
  private onReading: ((r: Reading) => void) | undefined;
  private expireTimer: NodeJS.Timeout | undefined;

  constructor(options: AisSourceOptions) {
    this.id = options.id;
    this.link = options.link;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child(`ais:${options.id}`);
    this.rejects = new RejectLog({ clock: this.clock, ...options.rejectLog, write: logRejects(this.log) });
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.decoder = new AisDecoder({ clock: this.clock, type24: 'merge' });
    // No start bytes: a tag block (`\s:...*hh\`) may precede the sentence; the decoder judges each line.
    this.framer = new LineFramer({ maxLength: AIS_MAX_LINE });
    this.link.onData((chunk) => this.handle(chunk));
    watchLink(this.link, {
      lost: (reason) => {
        this.flushPartialLine();
        this.state = 'down';
        this.detail = `link lost: ${reason}`;
        this.errors.count(AisErrorCode.LinkLost);
        this.log.warn('link lost', { endpoint: this.link.endpoint, reason });
      },
      opened: (again) => {
        if (this.state === 'down') this.state = 'starting';
        this.detail = again ? 'reopened' : undefined;
      },
      closed: () => {
        this.flushPartialLine();
        this.state = 'down';
        this.detail = 'closed';
      },
    });
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    await this.link.open();
    // A supervised port absent at start is opened when it appears (then `opened` fires).
    if (!this.link.isOpen) {
      this.state = 'down';
      this.detail = `${this.link.endpoint} not open yet`;
    }
    // Partial multi-sentence messages time out even when the receiver goes quiet.
    this.expireTimer = setInterval(() => {
      this.consume(this.decoder.expire(), 0);
      this.rejects.tick();
    }, 1_000);
    this.expireTimer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.expireTimer = undefined;
    this.rejects.flush();
    // Also when the port is away: a supervisor still retrying must stop.
    await this.link.close();
  }

  health(): SourceHealth {
    return sourceHealth({
      source: this.id,
      state: this.state,
      readings: this.readings,
      errors: this.errors.snapshot(),
      discardedBytes: this.discarded,
      lastReadingAt: this.lastReadingAt,
      detail: this.detail,
      stale: { now: this.clock.now(), afterMs: this.staleAfterMs },
    });
  }

  private handle(chunk: Uint8Array): void {
    this.frames(this.framer.push(chunk));
    this.consume(this.decoder.expire(), 0);
    this.rejects.tick();
  }

  private consume(results: AisLineResult[], lineBytes: number): void {
    for (const r of results) {
      if (!r.ok) {
        this.errors.count(r.error.code);
        // A line that is not a sentence at all is bytes thrown away while resynchronising.
        if (r.error.code === AisErrorCode.NotASentence) this.discarded += lineBytes;
        if (r.error.code === AisErrorCode.Internal) this.log.error(r.error.message, { code: r.error.code, error: r.error.cause });
        else this.rejects.reject(r.error.code, r.error.message);
        continue;
      }
      if (!UNIT_AIS_TYPES.has(r.message.type)) {
        // Decoded (decode ais and the conformance tests show it) but not a unit's report: see UNIT_AIS_TYPES.
        this.errors.count(AisErrorCode.NotAUnit);
        continue;
      }
      this.emit(r.message, r.own, r.channel);
    }
  }

  private emit(message: AisMessage, own: boolean, channel: string): void {
    const t = this.clock.now();
    this.readings++;
    this.lastReadingAt = t;
    this.state = 'up';
    const hasPosition = typeof message.lon === 'number' && typeof message.lat === 'number';
    // ITU-R M.1371-5 Table 46: lon 181 / lat 91 mean "not available".
    const positionOk = !hasPosition || (Math.abs(message.lon as number) <= 180 && Math.abs(message.lat as number) <= 90);
    const reading: Reading<AisMessage> = {
      source: this.id,
      modality: 'ais',
      t,
      value: message,
      quality: {
        ok: positionOk,
        ...(hasPosition && typeof message.accuracy === 'boolean' ? { accuracyM: message.accuracy ? AIS_HIGH_ACCURACY_M : AIS_LOW_ACCURACY_M } : {}),
        status: `type ${message.type}${own ? ' own' : ''}${channel ? ` ch ${channel}` : ''}`,
      },
    };
    this.onReading?.(reading);
  }

  /** A partial line from a lost or closed link never completes; judge it now so it is counted, not glued to the next line. */
  private flushPartialLine(): void {
    this.frames(this.framer.flush());
  }

  /**
   * Lines go to the decoder; an over-long line's bytes are counted as discarded. An unterminated
   * line (the framer's `incomplete`, only at a flush) is still judged by the decoder: the link
   * ended it, and its bytes are whole.
   */
  private frames(events: FrameEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'frame' || ev.reason === 'incomplete') {
        this.consume(this.decoder.pushLine(Buffer.from(ev.bytes).toString('latin1')), ev.bytes.length);
        continue;
      }
      this.errors.count(AisErrorCode.LineTooLong, ev.runs);
      this.discarded += ev.length;
    }
  }
}

/**
 * The link layer over a ByteLink: frame I/O with sequence numbers, requests matched to their
 * reply by `reSeq`, retransmission with the same seq on timeout, and counters for every
 * frame that was not usable. It knows nothing about sessions; McuSource drives it.
 */
import type { ByteLink } from '../../drivers/serial/binding.ts';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { McuBridgeError, McuErrorCode, type McuFrameRejectCode } from './errors.ts';
import type { FrameEvent } from './frame-decoder.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { encodeWire, HANDSHAKE_VERSION } from './frame.ts';
import type { McuFrame, MessageBodies, MessageType } from './message.ts';
import { BodyRangeError } from './message.ts';

export interface McuLinkCounters {
  framesRx: number;
  framesTx: number;
  crcErrors: number;
  /** Bytes of blocks that were not valid frames (resynchronisation), delimiters included. */
  discardedBytes: number;
  retransmits: number;
  timeouts: number;
  naks: number;
  unknownTypes: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
}

interface Pending {
  seq: number;
  expect: readonly MessageType[];
  wire: Uint8Array;
  retriesLeft: number;
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  sentAt: number;
  resolve: (f: McuFrame, sentAt: number) => void;
  reject: (e: Error) => void;
}

export interface McuLinkOptions {
  clock?: Clock;
  log?: Logger;
  /** Reply timeout per attempt, ms (default 200). */
  requestTimeoutMs?: number;
  /** Retransmissions after the first attempt (default 3). */
  requestRetries?: number;
}

export class McuLink {
  readonly counters: McuLinkCounters = {
    framesRx: 0,
    framesTx: 0,
    crcErrors: 0,
    discardedBytes: 0,
    retransmits: 0,
    timeouts: 0,
    naks: 0,
    unknownTypes: 0,
  };
  readonly errors = new ErrorCounter<McuErrorCode | McuFrameRejectCode>();
  /** Header version of outgoing frames other than HELLO; set by the handshake. */
  version = HANDSHAKE_VERSION;
  /** Host time of the last valid frame. */
  lastValidRxAt: number;
  /** Bytes received since the last valid frame: non-zero with no valid frame means a garbled line. */
  bytesSinceValid = 0;

  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private decoder = new FrameDecoder();
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: Array<(f: McuFrame) => void> = [];

  constructor(
    readonly byteLink: ByteLink,
    opts: McuLinkOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.timeoutMs = opts.requestTimeoutMs ?? 200;
    this.retries = opts.requestRetries ?? 3;
    this.lastValidRxAt = this.clock.now();
    byteLink.onData((chunk) => this.receive(chunk));
  }

  onFrame(listener: (f: McuFrame) => void): void {
    this.listeners.push(listener);
  }

  /** Drops a partly received block, e.g. after reopening the port. */
  resetReceiver(): void {
    const held = this.decoder.pending();
    if (held > 0) {
      this.counters.discardedBytes += held;
      this.errors.count(McuErrorCode.FRAME_TRUNCATED);
    }
    this.decoder = new FrameDecoder();
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    return s;
  }

  private encode<K extends MessageType>(type: K, body: MessageBodies[K], seq: number): Uint8Array {
    const version = type === 'HELLO' ? HANDSHAKE_VERSION : this.version;
    try {
      return encodeWire({ version, type, seq, body } as McuFrame);
    } catch (e) {
      if (e instanceof BodyRangeError) throw new McuBridgeError(McuErrorCode.ENCODE, e.message, { type });
      throw e;
    }
  }

  private transmit(wire: Uint8Array): void {
    if (!this.byteLink.isOpen) return;
    this.counters.framesTx++;
    this.byteLink.write(wire).catch((e: unknown) => {
      this.errors.count(McuErrorCode.LINK);
      this.log.warn('write failed', { error: e });
    });
  }

  /** Sends a frame that expects no reply; returns its seq. */
  send<K extends MessageType>(type: K, body: MessageBodies[K]): number {
    const seq = this.nextSeq();
    this.transmit(this.encode(type, body, seq));
    return seq;
  }

  ack(reSeq: number): void {
    this.send('ACK', { reSeq });
  }

  /**
   * Sends a request and resolves with the first reply of an expected type whose reSeq is this
   * request's seq, together with the host time of the attempt that was answered... or of the
   * last attempt (only TIME_SYNC cares, and it uses retries: 0). NAK rejects with MCUB_NAK.
   */
  request<K extends MessageType>(type: K, body: MessageBodies[K], expect: readonly MessageType[], opts: RequestOptions = {}): Promise<{ frame: McuFrame; sentAt: number }> {
    const seq = this.nextSeq();
    const wire = this.encode(type, body, seq);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        seq,
        expect,
        wire,
        retriesLeft: opts.retries ?? this.retries,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        timer: undefined,
        sentAt: 0,
        resolve: (frame, sentAt) => resolve({ frame, sentAt }),
        reject,
      };
      this.pending.set(seq, p);
      this.attempt(p, type);
    });
  }

  private attempt(p: Pending, type: MessageType): void {
    p.sentAt = this.clock.now();
    this.transmit(p.wire);
    p.timer = setTimeout(() => {
      if (p.retriesLeft > 0) {
        p.retriesLeft--;
        this.counters.retransmits++;
        this.attempt(p, type);
        return;
      }
      this.pending.delete(p.seq);
      this.counters.timeouts++;
      p.reject(new McuBridgeError(McuErrorCode.TIMEOUT, `${type} seq ${p.seq} not answered`, { type, seq: p.seq }));
    }, p.timeoutMs);
  }

  /** Rejects every request in flight (link closed, source stopped, session lost). */
  abortAll(code: McuErrorCode, why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new McuBridgeError(code, why, { seq: p.seq }));
    }
    this.pending.clear();
  }

  private receive(chunk: Uint8Array): void {
    this.bytesSinceValid += chunk.length;
    let events: FrameEvent[];
    try {
      events = this.decoder.push(chunk);
    } catch (e) {
      // The decoder is total over its input; reaching this is a bug, counted rather than fatal.
      this.errors.count('MCUB_INTERNAL');
      this.log.error('frame decoder threw', { error: e });
      this.decoder = new FrameDecoder();
      return;
    }
    for (const ev of events) this.handle(ev);
  }

  private handle(ev: FrameEvent): void {
    if (ev.kind === 'rejected') {
      this.errors.count(`MCUB_FRAME_${ev.code}`);
      if (ev.code === 'UNKNOWN_TYPE') {
        // PROTOCOL.md §6: a type from a newer revision; the line is fine.
        this.counters.unknownTypes++;
        this.markValid();
        return;
      }
      if (ev.code === 'CRC') this.counters.crcErrors++;
      this.counters.discardedBytes += ev.bytes;
      this.log.debug(() => `discarded ${ev.bytes} bytes (${ev.code})`);
      return;
    }
    this.markValid();
    this.counters.framesRx++;
    const f = ev.frame;
    if ('reSeq' in f.body && (f.type !== 'ACK' || this.pending.has(f.body.reSeq))) {
      const p = this.pending.get(f.body.reSeq);
      if (p && (p.expect.includes(f.type) || f.type === 'NAK')) {
        clearTimeout(p.timer);
        this.pending.delete(p.seq);
        if (f.type === 'NAK') {
          this.counters.naks++;
          p.reject(new McuBridgeError(McuErrorCode.NAK, `request seq ${p.seq} refused (reason ${f.body.reason})`, { seq: p.seq, reason: f.body.reason }));
        } else {
          p.resolve(f, p.sentAt);
        }
        return;
      }
    }
    for (const l of this.listeners) l(f);
  }

  private markValid(): void {
    this.lastValidRxAt = this.clock.now();
    this.bytesSinceValid = 0;
  }
}

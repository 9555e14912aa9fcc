import { systemClock, type Clock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { logRejects, RejectLog, type RejectLogRate } from '../../core/reject-log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { createNmeaLineFramer, type FrameEvent } from '../framing/line-framer.ts';
import type { ByteLink } from '../serial/binding.ts';
import type { LinkHealth } from '../serial/reconnecting-link.ts';
import { systemTimers, type Timers } from '../../core/timers.ts';
import { decodeNmeaSentence } from './codec.ts';
import { GnssErrorCode, NmeaErrorCode, NmeaFramingCode } from './errors.ts';
import { GnssFixAccumulator, type GnssFix } from './fix-accumulator.ts';
import type { FixQuality } from './fix-quality.ts';
import { gnssReadingFromFix } from './gnss-reading.ts';
import type { GnssTimeCheckOptions } from './gnss-time.ts';

export interface NmeaSerialSourceOptions {
  id: string;
  /** Usually a ReconnectingLink over a SerialPortLink or TcpLink; its health() is merged in when present. */
  link: ByteLink & { health?(): LinkHealth };
  clock?: Clock;
  timers?: Timers;
  /** No reading for longer than this (ms) → health `stale`. Default 5000 (receivers report at ≥ 1 Hz). */
  staleAfterMs?: number;
  /** Quiet line for this long (ms) closes the current epoch, since NMEA has no cycle-end marker. Default 250. */
  idleFlushMs?: number;
  uereM?: Partial<Record<FixQuality, number>>;
  time?: GnssTimeCheckOptions;
  requireChecksum?: boolean;
  logger?: Logger;
  /** Rejections logged in detail per interval (the rest counted and summarised). Default 5 per 10 s. */
  rejectLog?: RejectLogRate;
}

/**
 * A GNSS receiver talking NMEA 0183 straight to a port (gateways without gpsd):
 * link → line framer → codec → epoch accumulator → Readings of modality `gnss`.
 * Bad input is counted by code (NMEA_BAD_CHECKSUM, NMEA_FRAMING_TOO_LONG, ...), logged at a
 * bounded rate (a few in detail at debug, then one summary line per interval at info), and
 * never stops the stream.
 */
export class NmeaSerialSource implements ReadingSource {
  readonly id: string;
  private readonly framer = createNmeaLineFramer();
  private readonly acc: GnssFixAccumulator;
  private readonly errors = new ErrorCounter<NmeaErrorCode | NmeaFramingCode | GnssErrorCode>();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly rejects: RejectLog<NmeaErrorCode | NmeaFramingCode>;
  private onReading: ((r: Reading) => void) | undefined;
  private idleTimer: unknown;
  private readings = 0;
  private lastReadingAt: number | undefined;
  private lastFix: GnssFix | undefined;
  private started = false;
  private wired = false;

  constructor(private readonly options: NmeaSerialSourceOptions) {
    this.id = options.id;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.log = (options.logger ?? silentLogger).child(`nmea:${options.id}`);
    this.rejects = new RejectLog({ clock: this.clock, write: logRejects(this.log), ...options.rejectLog });
    const accOptions: ConstructorParameters<typeof GnssFixAccumulator>[0] = { clock: this.clock };
    if (options.uereM) accOptions.uereM = options.uereM;
    if (options.time) accOptions.time = options.time;
    this.acc = new GnssFixAccumulator(accOptions);
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    this.started = true;
    if (!this.wired) {
      this.wired = true;
      this.options.link.onData((chunk) => this.push(chunk));
    }
    await this.options.link.open();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    await this.options.link.close();
    this.handleFrames(this.framer.flush());
    this.emit(this.acc.flush());
    this.rejects.flush();
  }

  /** Feeds bytes as if they came from the link (the link's onData calls this). */
  push(chunk: Uint8Array): void {
    this.handleFrames(this.framer.push(chunk));
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = undefined;
      this.emit(this.acc.flush());
      this.rejects.tick();
    }, this.options.idleFlushMs ?? 250);
  }

  health(): SourceHealth {
    const link = this.options.link.health?.();
    const now = this.clock.now();
    const staleAfter = this.options.staleAfterMs ?? 5000;
    let state: SourceHealth['state'];
    if (link && (link.state === 'down' || link.state === 'closed' || link.state === 'connecting')) state = link.opens === 0 && link.state === 'connecting' ? 'starting' : 'down';
    else if (!this.started && !link) state = 'down';
    else if (this.lastReadingAt === undefined) state = link?.state === 'stale' ? 'stale' : 'starting';
    else if (now - this.lastReadingAt > staleAfter || link?.state === 'stale') state = 'stale';
    else state = 'up';
    const errors = { ...(link?.errors ?? {}), ...this.errors.snapshot() };
    const details: string[] = [];
    if (link?.resolvedPath) details.push(`port ${link.resolvedPath}`);
    if (link?.lastError && state !== 'up') details.push(link.lastError);
    if (this.lastFix && !this.lastFix.valid) details.push(`no usable fix (${this.lastFix.fixMode}, ${this.lastFix.fixQuality ?? 'no quality'})`);
    return sourceHealth({ source: this.id, state, readings: this.readings, errors, discardedBytes: this.framer.discardedBytes, lastReadingAt: this.lastReadingAt, detail: details.join('; ') });
  }

  private handleFrames(events: FrameEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'discarded') {
        const code = NmeaFramingCode[ev.reason];
        // One event may stand for many consecutive runs (the framer merges them): count each.
        this.errors.count(code, ev.runs);
        this.rejects.reject(code, () => `discarded ${ev.length} bytes (${ev.reason}, ${ev.runs} run${ev.runs === 1 ? '' : 's'})`);
        continue;
      }
      const r = decodeNmeaSentence(ev.bytes, this.options.requireChecksum === false ? { requireChecksum: false } : {});
      if (!r.ok) {
        // Unsupported sentences (GBS, GRS, proprietary) are normal traffic; counted, not logged.
        this.errors.count(r.error.code);
        if (r.error.code !== NmeaErrorCode.Unsupported) this.rejects.reject(r.error.code, r.error.message, r.error.details);
        continue;
      }
      for (const fe of r.fieldErrors) {
        this.errors.count(fe.code);
        this.rejects.reject(fe.code, fe.message, fe.details);
      }
      this.emit(this.acc.push(r.sentence));
    }
  }

  private emit(fix: GnssFix | undefined): void {
    if (!fix) return;
    this.lastFix = fix;
    const reading = gnssReadingFromFix(this.id, this.clock.now(), fix);
    if (!reading) {
      this.errors.count(GnssErrorCode.NoPosition);
      return;
    }
    if (fix.gnssTime && fix.gnssTime.status === 'implausible') this.errors.count(GnssErrorCode.TimeImplausible);
    this.readings++;
    this.lastReadingAt = reading.t;
    if (this.started) this.onReading?.(reading);
  }
}

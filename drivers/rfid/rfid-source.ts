import { systemClock, type Clock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { watchLink, type WatchedLink } from '../serial/link-events.ts';
import { Em4100Framer, type Em4100Event } from './em4100.ts';
import { RfidErrorCode } from './errors.ts';
import { SightingDebouncer, type Sighting } from './sightings.ts';
import { UhfR200Framer, type UhfEvent } from './uhf-r200.ts';

export interface RfidSourceOptions {
  id: string;
  /** A ReconnectingLink to have a vanished port reopened (as the agent builds it); a bare link stays down. */
  link: WatchedLink;
  /** 'em4100' (RDM6300 and ID-12LA/ID-20LA framings) or 'uhf-r200' (M100/QM100 UHF modules). */
  protocol: 'em4100' | 'uhf-r200';
  /** Reader id put in sightings (default: the source id). */
  reader?: string;
  /** A sighting closes once its tag has been quiet this long (default 3 s). */
  holdMs?: number;
  /** How often quiet sightings are checked for closing (default holdMs / 2). */
  expireEveryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * An RFID reader on a byte link. Emits a Reading of modality 'rfid' when a sighting opens
 * (first read of a tag) and when it closes (tag quiet past the hold time); the value is
 * the Sighting, with firstSeen, lastSeen, read count and the strongest RSSI.
 */
export class RfidSource implements ReadingSource {
  readonly id: string;
  private readonly link: WatchedLink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reader: string;
  private readonly holdMs: number;
  private readonly expireEveryMs: number;
  private readonly debouncer: SightingDebouncer;
  private readonly framer: Em4100Framer | UhfR200Framer;
  private readonly errors = new ErrorCounter<RfidErrorCode>();
  private onReading: ((r: Reading) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: SourceHealth['state'] = 'starting';
  private readings = 0;
  private reads = 0;
  private discarded = 0;
  private lastReadingAt: number | undefined;
  private detail: string | undefined;

  constructor(o: RfidSourceOptions) {
    this.id = o.id;
    this.link = o.link;
    this.clock = o.clock ?? systemClock;
    this.log = (o.logger ?? silentLogger).child(`rfid:${o.id}`);
    this.reader = o.reader ?? o.id;
    this.holdMs = o.holdMs ?? 3_000;
    this.expireEveryMs = o.expireEveryMs ?? Math.max(50, this.holdMs / 2);
    this.debouncer = new SightingDebouncer(this.clock, this.holdMs);
    this.framer = o.protocol === 'em4100' ? new Em4100Framer() : new UhfR200Framer();
    this.link.onData((c) => this.handle(c));
    const down = (detail: string): void => {
      this.state = 'down';
      this.detail = detail;
      // A frame cut off by the unplug never completes: account for its bytes now.
      this.account(this.framer.flush());
    };
    watchLink(this.link, {
      lost: (reason) => {
        down(`link lost: ${reason}`);
        this.errors.count(RfidErrorCode.LinkLost);
      },
      opened: (again) => {
        this.state = 'up';
        this.detail = again ? 'reopened' : undefined;
      },
      closed: () => down('closed'),
    });
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    await this.link.open();
    // A supervised port absent at start is opened when it appears (then `opened` fires).
    if (this.link.isOpen) {
      this.state = 'up';
    } else {
      this.state = 'down';
      this.detail = `${this.link.endpoint} not open yet`;
    }
    this.timer = setInterval(() => this.tick(), this.expireEveryMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.debouncer.closeAll()) this.emit(s);
    // Also when the port is away: a supervisor still retrying must stop.
    await this.link.close();
  }

  /** Closes sightings that went quiet; runs on a timer, callable by tests with a manual clock. */
  tick(): void {
    for (const s of this.debouncer.expire()) this.emit(s);
  }

  /** Bytes of a frame still being received. */
  get bufferedBytes(): number {
    return this.framer.buffered;
  }

  /** Raw tag reads decoded so far (before debouncing). */
  get rawReads(): number {
    return this.reads;
  }

  health(): SourceHealth {
    return sourceHealth({ source: this.id, state: this.state, readings: this.readings, errors: this.errors.snapshot(), discardedBytes: this.discarded, lastReadingAt: this.lastReadingAt, detail: this.detail });
  }

  private handle(chunk: Uint8Array): void {
    this.account(this.framer.push(chunk));
  }

  private account(events: (Em4100Event | UhfEvent)[]): void {
    for (const ev of events) {
      if (!ev.ok) {
        this.errors.count(ev.error.code);
        if (ev.error.code === RfidErrorCode.Discarded) this.discarded += ev.bytes.length;
        if (ev.error.code === RfidErrorCode.Internal) this.log.error(ev.error.message, { code: ev.error.code, error: ev.error.cause });
        else this.log.debug(() => ev.error.message, { code: ev.error.code });
        continue;
      }
      this.reads++;
      const read = ev.read;
      const change =
        'epc' in read
          ? this.debouncer.read({ tag: read.epc, reader: this.reader, rssi: read.rssi })
          : this.debouncer.read({ tag: read.tag, reader: this.reader });
      for (const s of change.closed) this.emit(s);
      if (change.opened) this.emit(change.opened);
    }
  }

  private emit(s: Sighting): void {
    const t = this.clock.now();
    this.readings++;
    this.lastReadingAt = t;
    this.onReading?.({
      source: this.id,
      modality: 'rfid',
      t,
      value: s,
      quality: { ok: true, ...(s.rssi !== undefined ? { rssi: s.rssi } : {}), status: s.state },
    });
  }
}

/**
 * McuSource: the place's microcontroller as a ReadingSource. It runs the session on top of
 * McuLink: HELLO version negotiation, TIME_SYNC, a watchdog on silence (report, then RESET
 * and a DTR pulse, then a new handshake), and SENSOR_REPORT →
 * Reading with host time and its uncertainty. A report is ACKed only after it was handed to
 * `onReading`, and a retransmitted report (same boot, same seq) is ACKed again but not
 * emitted twice, so no acknowledged report is lost or doubled.
 *
 * The port is reopened by its supervisor (a ReconnectingLink, as the agent builds every
 * serial source), not here: the source hears of a loss and of the reopen through watchLink,
 * drops the session, and on the reopen starts a fresh receiver and a new handshake. A bare
 * link that is lost stays down.
 */
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { isCodedError } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { watchLink, type WatchedLink } from '../../drivers/serial/link-events.ts';
import { McuBridgeError, McuErrorCode } from './errors.ts';
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from './frame.ts';
import { McuLink } from './mcu-link.ts';
import type { FrameOf, McuFrame } from './message.ts';
import { Capability, ConfigKey, HEARTBEAT_FLAG_SESSION, NakReason } from './message.ts';
import type { TickMapping, TimeSyncSample } from './time-sync.ts';
import { bestSample, mappingFromSample, tickToHost } from './time-sync.ts';

const WATCHDOG_PERIOD_MS = 25;

export type { McuChannelOverride, McuHealth, McuInfo, McuReadingValue, McuSourceOptions } from './mcu-types.ts';
import { mcuSourceDefaults, type McuHealth, type McuInfo, type McuSourceOptions, type McuSourceSettings, type Session } from './mcu-types.ts';
import { reportReading } from './mcu-reading.ts';
import { InterruptibleSleep, SeenReports } from './report-memory.ts';
import { SilenceWatch, pulseDtr, sessionInfo } from './mcu-session.ts';

export class McuSource implements ReadingSource {
  readonly id: string;
  private readonly o: McuSourceSettings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly byteLink: WatchedLink;
  readonly link: McuLink;
  private onReading: (r: Reading) => void = () => {};
  private running = false;
  private state: SourceHealth['state'] = 'starting';
  private detail: string | undefined;
  private session: Session | undefined;
  private lastInfo: McuInfo | undefined;
  private readonly seen = new SeenReports();
  private readings = 0;
  private lastReadingAt: number | undefined;
  private readonly extra = { duplicates: 0, resets: 0, reboots: 0, handshakes: 0, silences: 0, reopens: 0 };
  private watchdog: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private handshaking = false;
  private readonly sleeper = new InterruptibleSleep();
  private silence: SilenceWatch | undefined;

  constructor(private readonly opts: McuSourceOptions) {
    this.id = opts.id;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.log ?? silentLogger).child(opts.id);
    this.byteLink = opts.link;
    this.o = mcuSourceDefaults(opts);
    this.link = new McuLink(opts.link, { clock: this.clock, log: this.log, requestTimeoutMs: this.o.requestTimeoutMs, requestRetries: this.o.requestRetries });
    this.link.onFrame((f) => this.onFrame(f));
    watchLink(opts.link, {
      lost: (reason) => this.onLinkLost(reason),
      opened: (again) => this.onLinkOpened(again),
      closed: () => undefined,
    });
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    this.running = true;
    this.state = 'starting';
    this.silence = new SilenceWatch(WATCHDOG_PERIOD_MS, this.clock.now());
    this.watchdog = setInterval(() => this.checkWatchdog(), WATCHDOG_PERIOD_MS);
    this.watchdog.unref?.();
    if (!this.byteLink.isOpen) {
      try {
        await this.byteLink.open();
      } catch (e) {
        this.fault(McuErrorCode.LINK, `cannot open ${this.byteLink.endpoint}`, e);
        this.state = 'down';
        return;
      }
    }
    void this.handshakeLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.watchdog);
    clearTimeout(this.syncTimer);
    this.sleeper.wakeAll();
    this.link.abortAll(McuErrorCode.STOPPED, 'source stopped');
    this.session = undefined;
    this.state = 'down';
    this.detail = 'stopped';
    if (this.byteLink.isOpen) await this.byteLink.close().catch(() => {});
  }

  health(): McuHealth {
    const h: McuHealth = {
      ...sourceHealth({ source: this.id, state: this.state, readings: this.readings, errors: this.link.errors.snapshot(), discardedBytes: this.link.counters.discardedBytes, lastReadingAt: this.lastReadingAt, detail: this.detail }),
      link: { ...this.link.counters, ...this.extra },
    };
    const info = this.session?.info ?? this.lastInfo;
    if (info) h.mcu = { ...info, channels: info.channels.map((c) => ({ ...c })) };
    const m = this.session?.mapping;
    if (m) h.timeSync = { uncertaintyMs: tickToHost(m, m.tick).uncertaintyMs, rttMs: m.rttMs, at: m.hostMs };
    return h;
  }

  /** The current tick → host-time mapping (undefined before the first TIME_SYNC of a session). */
  timeMapping(): TickMapping | undefined {
    return this.session?.mapping;
  }

  async configSet(key: number, value: number): Promise<void> {
    await this.link.request('CONFIG_SET', { key, value }, ['ACK']);
    if (key === ConfigKey.HEARTBEAT_MS && this.session) this.session.info.heartbeatMs = value;
  }

  async configGet(key: number): Promise<number> {
    const { frame } = await this.link.request('CONFIG_GET', { key }, ['CONFIG_VALUE']);
    return (frame as FrameOf<'CONFIG_VALUE'>).body.value;
  }

  /** One TIME_SYNC round; resolves with the new mapping. */
  async timeSync(): Promise<TickMapping> {
    const s = this.session;
    if (!s) throw new McuBridgeError(McuErrorCode.TIMEOUT, 'no session');
    const samples: TimeSyncSample[] = [];
    for (let i = 0; i < this.o.timeSyncSamples; i++) {
      try {
        // No retransmission: an answer to an earlier attempt would make the round trip look shorter than it was.
        const { frame, sentAt } = await this.link.request('TIME_SYNC', {}, ['TIME_SYNC_REPLY'], { retries: 0 });
        samples.push({ sentAt, receivedAt: this.clock.now(), tick: (frame as FrameOf<'TIME_SYNC_REPLY'>).body.tick });
      } catch (e) {
        if (!isCodedError(e) || e.code !== McuErrorCode.TIMEOUT) throw e;
      }
    }
    const best = bestSample(samples);
    if (!best) throw new McuBridgeError(McuErrorCode.TIMEOUT, 'no TIME_SYNC answered');
    const m = mappingFromSample(best, s.info.tickHz, this.o.driftPpm);
    if (this.session === s) s.mapping = m;
    return m;
  }

  /** Sends RESET (and pulses DTR), then re-handshakes; what the watchdog does. */
  async reset(why = 'requested'): Promise<void> {
    this.extra.resets++;
    this.log.warn('resetting MCU', { why });
    this.session = undefined;
    if (this.o.resetStrategy !== 'dtr') {
      try {
        this.link.send('RESET', {});
      } catch {
        /* encode of an empty body cannot fail */
      }
    }
    if (this.o.resetStrategy !== 'message') await pulseDtr(this.byteLink, (ms) => this.sleep(ms));
    void this.handshakeLoop();
  }

  // ---- session ----

  private async handshakeLoop(): Promise<void> {
    if (this.handshaking) return;
    this.handshaking = true;
    let failures = 0;
    try {
      while (this.running && !this.session && this.byteLink.isOpen) {
        try {
          // Each attempt is a new HELLO with a new seq, never a retransmission: a copy reaching an
          // MCU that restarted in between would open a session the host does not know about,
          // and that boot's reports would be taken for the old boot's. A reply to an earlier
          // attempt is stray and ignored (see onStrayHelloReply).
          const hello = { minVersion: PROTOCOL_VERSION_MIN, maxVersion: PROTOCOL_VERSION_MAX };
          const { frame } = await this.link.request('HELLO', hello, ['HELLO_REPLY'], { retries: 0, timeoutMs: this.o.requestTimeoutMs * 2 });
          await this.beginSession(frame as FrameOf<'HELLO_REPLY'>);
          failures = 0;
        } catch (e) {
          this.session = undefined;
          if (!this.running) return;
          failures++;
          if (isCodedError(e) && e.code === McuErrorCode.NAK && e.details['reason'] === NakReason.BAD_VERSION) {
            this.fault(McuErrorCode.VERSION_MISMATCH, `MCU speaks no protocol version in ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION_MAX}`);
            this.state = 'down';
          } else if (failures >= 2) {
            this.state = this.state === 'starting' ? 'starting' : 'down';
            this.detail = this.link.bytesSinceValid > 0
              ? `bytes arrive but no valid frame (${this.link.bytesSinceValid} since the last): check baud rate and wiring`
              : `no answer to HELLO (${failures} attempts)`;
          }
          if (failures % this.o.resetEvery === 0 && this.o.resetStrategy !== 'message' && this.byteLink.setSignals) {
            this.extra.resets++;
            await pulseDtr(this.byteLink, (ms) => this.sleep(ms));
          }
          await this.sleep(this.o.handshakeRetryMs);
        }
      }
    } finally {
      this.handshaking = false;
    }
  }

  private async beginSession(f: FrameOf<'HELLO_REPLY'>): Promise<void> {
    const b = f.body;
    if (b.version < PROTOCOL_VERSION_MIN || b.version > PROTOCOL_VERSION_MAX) {
      throw new McuBridgeError(McuErrorCode.NAK, `MCU chose version ${b.version}`, { reason: NakReason.BAD_VERSION });
    }
    this.extra.handshakes++;
    if (this.lastInfo && this.lastInfo.bootId !== b.bootId) {
      this.extra.reboots++;
      this.link.errors.count(McuErrorCode.REBOOTED);
      this.log.warn('MCU rebooted', { before: this.lastInfo.bootId, now: b.bootId });
    }
    this.seen.forBoot(b.bootId);
    this.link.version = b.version;
    const info = sessionInfo(b);
    const session: Session = { info };
    this.session = session;
    this.lastInfo = info;
    const c = this.opts.config;
    if (c?.heartbeatMs !== undefined) await this.configSet(ConfigKey.HEARTBEAT_MS, c.heartbeatMs);
    if (c?.reportMs !== undefined) await this.configSet(ConfigKey.REPORT_MS, c.reportMs);
    if (c?.channelMask !== undefined) await this.configSet(ConfigKey.CHANNEL_MASK, c.channelMask);
    if (b.capabilities & Capability.TIME_SYNC) await this.timeSync();
    if (this.session !== session) return;
    this.state = 'up';
    this.detail = undefined;
    this.log.info('MCU session up', { deviceId: info.deviceId, bootId: info.bootId, firmware: info.firmware });
    this.scheduleTimeSync(session);
  }

  private scheduleTimeSync(s: Session): void {
    clearTimeout(this.syncTimer);
    if (!(s.info.capabilities & Capability.TIME_SYNC)) return;
    this.syncTimer = setTimeout(() => {
      if (!this.running || this.session !== s) return;
      this.timeSync()
        .catch((e: unknown) => {
          this.link.errors.count('MCUB_TIMESYNC_FAILED');
          this.log.warn('time sync failed', { error: e });
        })
        .finally(() => {
          if (this.session === s) this.scheduleTimeSync(s);
        });
    }, this.o.timeSyncIntervalMs);
    this.syncTimer.unref?.();
  }

  private onFrame(f: McuFrame): void {
    try {
      switch (f.type) {
        case 'SENSOR_REPORT':
          this.onReport(f);
          return;
        case 'HEARTBEAT':
          this.onHeartbeat(f);
          return;
        case 'HELLO_REPLY':
          this.onStrayHelloReply(f);
          return;
        case 'LOG':
          this.log.info(`mcu: ${f.body.text}`, { level: f.body.level, tick: f.body.tick });
          return;
        default:
          // Late replies to requests that already timed out, or host-bound echoes: nothing to do.
          return;
      }
    } catch (e) {
      this.link.errors.count('MCUB_INTERNAL');
      this.log.error('frame handler failed', { error: e });
    }
  }

  /**
   * A HELLO_REPLY no request is waiting for: the answer to a retransmitted HELLO. If it names
   * another boot, the MCU restarted after answering the first copy (RESET and HELLO in flight
   * together), and reports from here on belong to that boot: drop the session at once, before
   * any of them is ACKed under the old boot's identity, and handshake again.
   */
  private onStrayHelloReply(f: FrameOf<'HELLO_REPLY'>): void {
    const s = this.session;
    if (!s || f.body.bootId === s.info.bootId) return;
    this.link.errors.count(McuErrorCode.REBOOTED);
    this.detail = 'MCU answered from a new boot: re-handshaking';
    this.session = undefined;
    this.link.abortAll(McuErrorCode.REBOOTED, 'MCU rebooted');
    void this.handshakeLoop();
  }

  private onHeartbeat(f: FrameOf<'HEARTBEAT'>): void {
    const s = this.session;
    if (!s) return;
    s.info.dropped = f.body.dropped;
    s.info.rxErrors = f.body.rxErrors;
    s.info.queued = f.body.queued;
    if (!(f.body.flags & HEARTBEAT_FLAG_SESSION) && !this.handshaking) {
      // The MCU restarted (or lost its session) between two of our frames.
      this.link.errors.count(McuErrorCode.REBOOTED);
      this.detail = 'MCU reports no session: re-handshaking';
      this.session = undefined;
      void this.handshakeLoop();
    }
  }

  private onReport(f: FrameOf<'SENSOR_REPORT'>): void {
    const s = this.session;
    // Not ACKed: the MCU keeps retransmitting until the session (and time sync) is up.
    if (!s) return;
    const synced = s.mapping !== undefined;
    if (!synced && s.info.capabilities & Capability.TIME_SYNC) return;
    if (this.seen.has(f.seq)) {
      this.extra.duplicates++;
      this.link.ack(f.seq);
      return;
    }
    const reading = reportReading(f, s, this.id, this.opts.channels?.[f.body.channel], this.clock.now());
    try {
      this.onReading(reading);
    } catch (e) {
      this.link.errors.count('MCUB_CONSUMER');
      this.log.error('reading consumer threw', { error: e });
    }
    this.seen.remember(f.seq);
    this.readings++;
    this.lastReadingAt = this.clock.now();
    this.link.ack(f.seq);
  }

  // ---- watchdog and link faults ----

  private checkWatchdog(): void {
    const now = this.clock.now();
    const s = this.session;
    const judged = this.running && s !== undefined && this.byteLink.isOpen;
    const quiet = now - this.link.lastValidRxAt;
    const limit = s ? Math.max(this.o.minSilenceMs, s.info.heartbeatMs * this.o.silenceFactor) : 0;
    if (!this.silence?.check(now, judged ? { quietMs: quiet, limitMs: limit } : undefined) || !s) return;
    this.extra.silences++;
    const garbled = this.link.bytesSinceValid > 0;
    this.fault(
      garbled ? McuErrorCode.GARBLED : McuErrorCode.SILENT,
      garbled
        ? `${this.link.bytesSinceValid} bytes but no valid frame in ${quiet} ms: check baud rate and wiring`
        : `MCU silent for ${quiet} ms (heartbeat ${s.info.heartbeatMs} ms)`,
    );
    this.state = 'stale';
    this.session = undefined;
    this.link.abortAll(McuErrorCode.SILENT, 'MCU silent');
    void this.reset(garbled ? 'garbled line' : 'silent');
  }

  private onLinkLost(reason: string): void {
    this.session = undefined;
    this.link.abortAll(McuErrorCode.LINK, 'link lost');
    if (!this.running) return;
    this.fault(McuErrorCode.LINK, `${this.byteLink.endpoint} lost: ${reason}`);
    this.state = 'down';
  }

  /** The supervisor (re)opened the port: bytes of the old session are junk, start a new one. */
  private onLinkOpened(again: boolean): void {
    if (!this.running) return;
    if (again) this.extra.reopens++;
    this.link.resetReceiver();
    void this.handshakeLoop();
  }

  private fault(code: McuErrorCode, message: string, cause?: unknown): void {
    this.link.errors.count(code);
    this.detail = message;
    this.log.warn(message, { code, ...(cause ? { error: cause } : {}) });
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }
}

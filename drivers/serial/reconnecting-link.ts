import { realpath } from 'node:fs/promises';
import { systemClock, type Clock } from '../../core/clock.ts';
import { asError, ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { backoffDelay, type BackoffOptions } from '../../core/backoff.ts';
import type { ByteLink } from './binding.ts';
import { SerialErrorCode } from './errors.ts';
import { systemTimers, type Timers } from '../../core/timers.ts';

export type LinkState = 'idle' | 'connecting' | 'open' | 'stale' | 'down' | 'closed';

export interface LinkHealth {
  state: LinkState;
  /** The configured path (e.g. `/dev/serial/by-id/usb-u-blox...`). */
  endpoint: string;
  /** The device node the open port is really on (e.g. `/dev/ttyACM1`), re-resolved at every open. */
  resolvedPath?: string;
  openedAt?: number;
  lastDataAt?: number;
  bytesIn: number;
  /** Successful opens, the first included. */
  opens: number;
  /** Failed open attempts since the last successful one. */
  failedAttempts: number;
  /**
   * Counts by code (SerialErrorCode): SERIAL_OPEN_FAILED, SERIAL_VANISHED, SERIAL_STALE,
   * SERIAL_STALE_REOPEN, SERIAL_PATH_MOVED, SERIAL_PATH_GONE, and SERIAL_INTERNAL (a step of the
   * supervisor threw; it goes on).
   * SERIAL_VANISHED counts every loss of an open port, whichever noticed it first: a close with
   * an error, or the watchdog finding the path gone (then SERIAL_PATH_GONE is counted too).
   */
  errors: Record<string, number>;
  lastError?: string;
}

export interface ReconnectingLinkOptions {
  /** Configured path; prefer `/dev/serial/by-id/...` names, which survive re-enumeration. */
  path: string;
  /** Builds a fresh link for a resolved path at each (re)open. */
  createLink: (resolvedPath: string) => ByteLink;
  /** Resolves symlinks (default fs.realpath). Pass `(p) => Promise.resolve(p)` for TCP endpoints. */
  resolvePath?: (path: string) => Promise<string>;
  backoff?: BackoffOptions;
  /** Silent for longer than this (ms) while open → state `stale`. Unset: never stale. */
  staleAfterMs?: number;
  /**
   * Close and reopen a stale port. Right for talkative devices (a GNSS receiver talks every
   * second): a `/dev/ttyUSB*` fd held across re-enumeration goes silent without an error.
   */
  reopenWhenStale?: boolean;
  /** How often (ms) the watchdog checks staleness and whether the path now points elsewhere. Default 1000. */
  watchdogMs?: number;
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  logger?: Logger;
}

/**
 * A port supervisor that is itself a ByteLink: it opens the link, notices when the port
 * vanishes (close with an error: ENOENT, EIO, EBADF) or goes silent, reports that in
 * `health()`, and reopens with capped exponential backoff with jitter once the path is back.
 * The path is re-resolved at every reopen, and watched while open, so a by-id link that now
 * points at `/dev/ttyUSB1` is never served by a stale fd on `/dev/ttyUSB0`.
 *
 * `open()` never rejects for a missing device: it resolves after the first attempt and keeps
 * trying; `onClose` listeners hear only the final `close()`.
 */
export class ReconnectingLink implements ByteLink {
  readonly endpoint: string;
  private current: ByteLink | undefined;
  private gen = 0;
  private state: LinkState = 'idle';
  private stopped = false;
  private retryTimer: unknown;
  private watchdogTimer: unknown;
  private failedAttempts = 0;
  private resolvedPath: string | undefined;
  private openedAt: number | undefined;
  private lastDataAt: number | undefined;
  private bytesIn = 0;
  private opens = 0;
  private lastError: string | undefined;
  private readonly errors = new ErrorCounter<SerialErrorCode>();
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  private readonly stateListeners: Array<(state: LinkState) => void> = [];
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly resolve: (path: string) => Promise<string>;

  constructor(private readonly options: ReconnectingLinkOptions) {
    this.endpoint = options.path;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.log = (options.logger ?? silentLogger).child('link');
    this.resolve = options.resolvePath ?? ((p) => realpath(p));
  }

  get isOpen(): boolean {
    return this.current?.isOpen ?? false;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** Called on every state change (open, down, stale, ...), e.g. to reset a framer. */
  onStateChange(listener: (state: LinkState) => void): void {
    this.stateListeners.push(listener);
  }

  async open(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'closed') return;
    this.stopped = false;
    this.armWatchdog();
    await this.attempt();
  }

  async write(bytes: Uint8Array): Promise<void> {
    const link = this.current;
    if (!link) throw Object.assign(new Error(`${this.endpoint} is not open (${this.state})`), { code: SerialErrorCode.NotOpen });
    await link.write(bytes);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    if (this.watchdogTimer !== undefined) this.timers.clearTimeout(this.watchdogTimer);
    this.retryTimer = this.watchdogTimer = undefined;
    const link = this.current;
    this.current = undefined;
    this.gen++;
    if (link) await link.close().catch(() => {});
    this.setState('closed');
    for (const l of this.closeListeners) l(undefined);
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<void> {
    const link = this.current;
    if (!link?.setSignals) throw new Error(`${this.endpoint} does not support modem signals`);
    await link.setSignals(signals);
  }

  health(): LinkHealth {
    const h: LinkHealth = {
      state: this.isStale() ? 'stale' : this.state,
      endpoint: this.endpoint,
      bytesIn: this.bytesIn,
      opens: this.opens,
      failedAttempts: this.failedAttempts,
      errors: this.errors.snapshot(),
    };
    if (this.resolvedPath !== undefined) h.resolvedPath = this.resolvedPath;
    if (this.openedAt !== undefined) h.openedAt = this.openedAt;
    if (this.lastDataAt !== undefined) h.lastDataAt = this.lastDataAt;
    if (this.lastError !== undefined) h.lastError = this.lastError;
    return h;
  }

  private isStale(): boolean {
    const limit = this.options.staleAfterMs;
    if (limit === undefined || (this.state !== 'open' && this.state !== 'stale') || this.openedAt === undefined) return false;
    return this.clock.now() - (this.lastDataAt ?? this.openedAt) > limit;
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    this.state = s;
    for (const l of this.stateListeners) {
      // A listener (a framer's reset, a source's health) that throws must not stop the reopening.
      try {
        l(s);
      } catch (e) {
        this.internal('a state listener', e);
      }
    }
  }

  /** A step of the supervisor itself threw: counted, logged at error; the caller goes on. */
  private internal(where: string, e: unknown): void {
    this.errors.count(SerialErrorCode.Internal);
    const err = asError(e);
    this.lastError = `${SerialErrorCode.Internal}: ${where}: ${err.message}`;
    this.log.error('port supervisor step failed; it goes on', { path: this.options.path, code: SerialErrorCode.Internal, where, error: err });
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.current) return;
    this.setState('connecting');
    const gen = ++this.gen;
    let resolved: string;
    try {
      resolved = await this.resolve(this.options.path);
    } catch (e) {
      if (gen === this.gen) this.failed(SerialErrorCode.OpenFailed, e);
      return;
    }
    let link: ByteLink;
    try {
      link = this.options.createLink(resolved);
    } catch (e) {
      // A constructor that refuses the path (a bad option) is a failed open: retried with backoff.
      if (gen === this.gen) this.failed(SerialErrorCode.OpenFailed, e);
      return;
    }
    link.onData((chunk) => {
      if (gen !== this.gen) return;
      this.lastDataAt = this.clock.now();
      this.bytesIn += chunk.length;
      if (this.state === 'stale') this.setState('open');
      for (const l of this.dataListeners) l(chunk);
    });
    link.onClose((err) => {
      if (gen !== this.gen || this.stopped) return;
      this.current = undefined;
      this.gen++;
      this.failed(SerialErrorCode.Vanished, err ?? new Error(`${this.endpoint} closed underneath us`));
    });
    try {
      await link.open();
    } catch (e) {
      if (gen === this.gen) this.failed(SerialErrorCode.OpenFailed, e);
      return;
    }
    if (gen !== this.gen || this.stopped) {
      await link.close().catch(() => {});
      return;
    }
    if (this.resolvedPath !== undefined && this.resolvedPath !== resolved) {
      this.log.info('port re-enumerated', { path: this.options.path, was: this.resolvedPath, now: resolved });
    }
    this.current = link;
    this.resolvedPath = resolved;
    this.failedAttempts = 0;
    this.opens++;
    this.openedAt = this.clock.now();
    this.lastDataAt = undefined;
    this.setState('open');
  }

  private failed(code: (typeof SerialErrorCode)['OpenFailed' | 'Vanished'], e: unknown): void {
    const err = e as { message?: string; code?: string };
    this.errors.count(code);
    this.lastError = `${code}: ${err?.code ? `${err.code} ` : ''}${err?.message ?? String(e)}`;
    this.log.warn('port unavailable', { path: this.options.path, code, error: err?.message });
    if (code !== SerialErrorCode.Vanished) this.failedAttempts++;
    this.setState('down');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = backoffDelay(this.failedAttempts, this.options.backoff, this.options.random);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      // attempt() counts what opening can throw; anything else is the supervisor's bug, and a
      // rejection left unhandled would stop the process. Counted, and the next retry is armed.
      void this.attempt().catch((e: unknown) => {
        this.internal('reopen', e);
        this.failedAttempts++;
        this.scheduleRetry();
      });
    }, delay);
  }

  /**
   * Drops the open port (its close event is ignored) and goes back through the reopen path.
   * `vanished`: the port is gone, not merely to be reopened. It is then counted
   * `SERIAL_VANISHED` as well, since the close event that would otherwise count it (EIO/EBADF,
   * often later than the watchdog under load) is ignored from here on.
   */
  private async recycle(code: (typeof SerialErrorCode)['PathGone' | 'PathMoved' | 'StaleReopen'], why: string, vanished = false): Promise<void> {
    const link = this.current;
    this.current = undefined;
    this.gen++;
    this.errors.count(code);
    if (vanished) this.errors.count(SerialErrorCode.Vanished);
    this.lastError = `${code}: ${why}`;
    this.log.warn('recycling port', { path: this.options.path, code, why });
    this.setState('down');
    if (link) await link.close().catch(() => {});
    this.scheduleRetry();
  }

  private armWatchdog(): void {
    if (this.stopped) return;
    this.watchdogTimer = this.timers.setTimeout(() => {
      this.watchdogTimer = undefined;
      void this.watch()
        .catch((e: unknown) => this.internal('watchdog', e))
        .finally(() => this.armWatchdog());
    }, this.options.watchdogMs ?? 1000);
  }

  private async watch(): Promise<void> {
    if (this.stopped || !this.current) return;
    const gen = this.gen;
    let now: string | undefined;
    try {
      now = await this.resolve(this.options.path);
    } catch {
      now = undefined;
    }
    if (gen !== this.gen || !this.current) return;
    if (now === undefined) return this.recycle(SerialErrorCode.PathGone, `${this.options.path} no longer resolves`, true);
    if (now !== this.resolvedPath) return this.recycle(SerialErrorCode.PathMoved, `${this.options.path} now points at ${now}, not ${this.resolvedPath}`);
    if (this.isStale()) {
      if (this.state !== 'stale') {
        this.errors.count(SerialErrorCode.Stale);
        this.setState('stale');
      }
      if (this.options.reopenWhenStale) return this.recycle(SerialErrorCode.StaleReopen, `silent for more than ${this.options.staleAfterMs} ms`);
    }
  }
}

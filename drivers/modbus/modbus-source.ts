import { Backoff, type BackoffOptions } from '../../core/backoff.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { asError, ErrorCounter } from '../../core/coded-error.ts';
import { guarded } from '../../core/guarded.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { systemTimers, type Timers } from '../../core/timers.ts';
import { watchLink, type WatchedLink } from '../serial/link-events.ts';
import { ModbusError, ModbusErrorCode } from './errors.ts';
import { ModbusRtuMaster, type ModbusMasterOptions } from './master.ts';
import { decodePoint, planReads, type DeviceProfile, type ReadBlock } from './profile.ts';

export interface ModbusSlaveConfig {
  unit: number;
  profile: DeviceProfile;
  name?: string;
}

export interface ModbusSourceOptions extends Omit<ModbusMasterOptions, 'link' | 'clock' | 'logger'> {
  id: string;
  /** A ReconnectingLink to have a vanished port reopened (as the agent builds it); a bare link stays down. */
  link: WatchedLink;
  slaves: ModbusSlaveConfig[];
  /** Time between the starts of two polling rounds (default 5 s). */
  intervalMs?: number;
  /**
   * Delay before the poll loop is started again after it threw (a bug here): capped, grows with
   * each failure in a row, reset once a round completes (default 1 s to 60 s, jittered).
   */
  loopRestartBackoff?: BackoffOptions;
  clock?: Clock;
  /** Timers for the round interval and the loop restart (tests step them by hand). */
  timers?: Timers;
  logger?: Logger;
}

const DEFAULT_LOOP_RESTART: BackoffOptions = { initialMs: 1_000, maxMs: 60_000 };

/** The value of a Modbus Reading: which slave and profile point it came from, in the profile's unit. */
export interface ModbusPointReading {
  unit: number;
  slave?: string;
  profile: string;
  point: string;
  value: number;
  raw: number;
  unitOfMeasure: string;
}

/**
 * Polls every configured slave on an interval through one RTU master and emits one Reading
 * per profile point (modality from the profile: 'range', 'meter', ...). A silent slave is
 * marked down by the master and skipped until its backoff elapses; the others keep being read.
 * Should the loop itself throw (a bug), it is counted, logged and started again after a backoff.
 */
export class ModbusSource implements ReadingSource {
  readonly id: string;
  readonly master: ModbusRtuMaster;
  private readonly link: WatchedLink;
  private readonly slaves: { cfg: ModbusSlaveConfig; blocks: ReadBlock[] }[];
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly errors = new ErrorCounter<ModbusErrorCode>();
  private onReading: ((r: Reading) => void) | undefined;
  /** The poll loop threw (a bug) and no round has completed since: the source is down, a restart is due. */
  private loopFailure: { error: Error; inARow: number } | undefined;
  private readonly loopRestart: Backoff;
  private restartTimer: unknown;
  private restartAt: number | undefined;
  private timer: unknown;
  private running = false;
  private readings = 0;
  private lastReadingAt: number | undefined;
  private linkDown = false;
  private rounds = 0;

  constructor(o: ModbusSourceOptions) {
    this.id = o.id;
    this.link = o.link;
    this.clock = o.clock ?? systemClock;
    this.timers = o.timers ?? systemTimers;
    this.loopRestart = new Backoff({ ...DEFAULT_LOOP_RESTART, ...o.loopRestartBackoff });
    this.log = (o.logger ?? silentLogger).child(`modbus:${o.id}`);
    this.intervalMs = o.intervalMs ?? 5_000;
    this.master = new ModbusRtuMaster({ ...o, link: o.link, clock: this.clock, logger: this.log });
    this.slaves = o.slaves.map((cfg) => ({ cfg, blocks: planReads(cfg.profile) }));
    watchLink(this.link, {
      lost: () => {
        this.linkDown = true;
        this.errors.count(ModbusErrorCode.LinkLost);
      },
      opened: (again) => {
        this.linkDown = false;
        if (again) this.log.info('link reopened', { endpoint: this.link.endpoint });
      },
      closed: () => {},
    });
  }

  /** Completed polling rounds, for tests and metrics. */
  get completedRounds(): number {
    return this.rounds;
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    this.running = true;
    await this.link.open();
    // A supervised port absent at start is opened when it appears (then `opened` fires).
    this.linkDown = !this.link.isOpen;
    this.runLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    if (this.restartTimer !== undefined) this.timers.clearTimeout(this.restartTimer);
    this.timer = this.restartTimer = this.restartAt = undefined;
    // Also when the port is away: a supervisor still retrying must stop.
    await this.link.close();
  }

  health(): SourceHealth {
    const states = this.slaves.map((s) => this.master.slaveHealth(s.cfg.unit));
    const down = states.filter((s) => s.state === 'down');
    let state: SourceHealth['state'] = this.readings === 0 ? 'starting' : 'up';
    if (this.loopFailure || this.linkDown || (down.length > 0 && down.length === states.length)) state = 'down';
    const errors = { ...this.master.errors.snapshot(), ...this.errors.snapshot() };
    const detail = this.loopFailure ? this.loopFailureDetail(this.loopFailure) : down.length > 0 ? `slaves down: ${down.map((d) => `${d.slave} (${d.lastError ?? '?'})`).join(', ')}` : undefined;
    return sourceHealth({ source: this.id, state, readings: this.readings, errors, discardedBytes: this.master.discardedBytes, lastReadingAt: this.lastReadingAt, detail });
  }

  private loopFailureDetail(f: { error: Error; inARow: number }): string {
    const next = !this.running ? 'not retried (stopped)' : this.restartAt === undefined ? 'retrying now' : `retrying in ${Math.max(0, this.restartAt - this.clock.now())} ms`;
    return `poll loop failed (MODBUS_INTERNAL: ${f.error.name}: ${f.error.message}), ${f.inARow} time(s) in a row; ${next}`;
  }

  private runLoop(): void {
    guarded(() => this.loop(), (e) => {
      // pollRound counts what a request can throw; this is a bug in the loop itself. Rather than
      // take the process with it, or leave the sensor silent until someone restarts the agent,
      // the source reports itself down and polls again after a growing delay.
      const error = asError(e);
      this.errors.count(ModbusErrorCode.Internal);
      this.loopFailure = { error, inARow: (this.loopFailure?.inARow ?? 0) + 1 };
      if (!this.running) {
        this.log.error('poll loop failed while stopping', { code: ModbusErrorCode.Internal, error });
        return;
      }
      const delay = this.loopRestart.next();
      this.log.error('poll loop failed; restarting it', { code: ModbusErrorCode.Internal, error, retryInMs: delay });
      this.restartAt = this.clock.now() + delay;
      this.restartTimer = this.timers.setTimeout(() => {
        this.restartTimer = this.restartAt = undefined;
        if (this.running) this.runLoop();
      }, delay);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const started = this.clock.now();
      await this.pollRound();
      this.rounds++;
      this.loopFailure = undefined;
      this.loopRestart.reset();
      if (!this.running) return;
      const wait = Math.max(0, this.intervalMs - (this.clock.now() - started));
      await new Promise<void>((resolve) => {
        this.timer = this.timers.setTimeout(resolve, wait);
      });
    }
  }

  private async pollRound(): Promise<void> {
    for (const { cfg, blocks } of this.slaves) {
      for (const block of blocks) {
        // While the port is away (its supervisor reopens it) there is no bus to ask, and no slave to blame.
        if (!this.running || !this.link.isOpen) return;
        let regs: Uint16Array;
        try {
          regs = await this.master.request({ slave: cfg.unit, fn: block.fn, address: block.address, count: block.count });
        } catch (e) {
          if (e instanceof ModbusError) {
            // Counted by the master; a down slave makes the rest of its blocks fail fast too.
            this.log.debug(() => `slave ${cfg.unit}: ${e.message}`, { code: e.code });
          } else {
            // The master rejects with ModbusErrors only: anything else is a bug here.
            this.errors.count(ModbusErrorCode.Internal);
            this.log.error(`slave ${cfg.unit}: request failed`, { code: ModbusErrorCode.Internal, error: e });
          }
          continue;
        }
        this.emitBlock(cfg, block, regs);
      }
    }
  }

  private emitBlock(cfg: ModbusSlaveConfig, block: ReadBlock, regs: Uint16Array): void {
    const t = this.clock.now();
    for (const { point, offset } of block.points) {
      const v = decodePoint(regs, offset, point);
      const value: ModbusPointReading = {
        unit: cfg.unit,
        ...(cfg.name ? { slave: cfg.name } : {}),
        profile: cfg.profile.name,
        point: v.name,
        value: v.value,
        raw: v.raw,
        unitOfMeasure: v.unit,
      };
      this.readings++;
      this.lastReadingAt = t;
      this.onReading?.({
        source: this.id,
        modality: point.modality,
        t,
        value,
        quality: { ok: v.ok, ...(v.ok ? {} : { status: 'out of valid range' }) },
      });
    }
  }
}

import { systemClock, type Clock } from '../../core/clock.ts';
import { asError, ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
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
  clock?: Clock;
  logger?: Logger;
}

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
 */
export class ModbusSource implements ReadingSource {
  readonly id: string;
  readonly master: ModbusRtuMaster;
  private readonly link: WatchedLink;
  private readonly slaves: { cfg: ModbusSlaveConfig; blocks: ReadBlock[] }[];
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly errors = new ErrorCounter<ModbusErrorCode>();
  private onReading: ((r: Reading) => void) | undefined;
  /** The poll loop itself threw (a bug): the source is down until the agent restarts. */
  private loopFailed = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readings = 0;
  private lastReadingAt: number | undefined;
  private linkDown = false;
  private rounds = 0;

  constructor(o: ModbusSourceOptions) {
    this.id = o.id;
    this.link = o.link;
    this.clock = o.clock ?? systemClock;
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
    void this.loop().catch((e: unknown) => {
      // pollRound counts what a request can throw; this is a bug in the loop itself. The source
      // stops polling and says so (health: down) rather than taking the process with it.
      this.running = false;
      this.loopFailed = true;
      this.errors.count(ModbusErrorCode.Internal);
      this.log.error('poll loop failed; the source stops', { code: ModbusErrorCode.Internal, error: asError(e) });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Also when the port is away: a supervisor still retrying must stop.
    await this.link.close();
  }

  health(): SourceHealth {
    const states = this.slaves.map((s) => this.master.slaveHealth(s.cfg.unit));
    const down = states.filter((s) => s.state === 'down');
    let state: SourceHealth['state'] = this.readings === 0 ? 'starting' : 'up';
    if (this.loopFailed || this.linkDown || (down.length > 0 && down.length === states.length)) state = 'down';
    const errors = { ...this.master.errors.snapshot(), ...this.errors.snapshot() };
    const detail = this.loopFailed ? 'poll loop failed (MODBUS_INTERNAL); restart the agent' : down.length > 0 ? `slaves down: ${down.map((d) => `${d.slave} (${d.lastError ?? '?'})`).join(', ')}` : undefined;
    return sourceHealth({ source: this.id, state, readings: this.readings, errors, discardedBytes: this.master.discardedBytes, lastReadingAt: this.lastReadingAt, detail });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const started = this.clock.now();
      await this.pollRound();
      this.rounds++;
      if (!this.running) return;
      const wait = Math.max(0, this.intervalMs - (this.clock.now() - started));
      await new Promise<void>((resolve) => {
        this.timer = setTimeout(resolve, wait);
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

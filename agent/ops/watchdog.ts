/**
 * The watchdog that makes WatchdogSec= mean something: WATCHDOG=1 is sent at half the
 * manager's interval (sd_watchdog_enabled(3) recommends that margin) only while every
 * registered liveness probe answers in time. A wedged signer, a store that cannot write or
 * a pipeline that has stopped moving withholds the ping, and systemd restarts the service.
 *
 * Each check runs the probes concurrently with their own timeouts; a check still waiting
 * on a hung probe from a previous round is not started twice.
 */
import { asError } from '../../core/coded-error.ts';
import { guarded } from '../../core/guarded.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { Clock } from '../../core/clock.ts';
import type { SdNotifier } from './sd-notify.ts';

/** A probe resolves when the component is alive; it rejects or returns a reason when not. */
export interface LivenessProbe {
  name: string;
  /** Longer than this counts as hung; default 5 s. */
  timeoutMs?: number;
  check(): Promise<void | ProbeVerdict>;
}

export interface ProbeVerdict {
  ok: boolean;
  detail?: string;
}

export interface ProbeResult {
  name: string;
  ok: boolean;
  /** "timeout", the rejection's message, or the probe's own detail. */
  detail?: string;
}

export interface WatchdogRound {
  ok: boolean;
  results: ProbeResult[];
  /** True when WATCHDOG=1 was sent for this round. */
  pinged: boolean;
}

export interface WatchdogOptions {
  notifier: SdNotifier;
  /** The manager's WatchdogSec in ms (watchdogTimeoutMs()); pings go at half of it. */
  timeoutMs: number;
  log?: Logger;
  /** Called after every round, e.g. to update metrics. */
  onRound?: (round: WatchdogRound) => void;
  /** Where a round that failed in itself (a bug; not a probe's verdict) is counted, as WATCHDOG_ROUND_FAILED. */
  errors?: { count(code: 'WATCHDOG_ROUND_FAILED'): void };
}

const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

export class Watchdog {
  private readonly probes: LivenessProbe[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<WatchdogRound> | undefined;
  private failing = false;
  private readonly log: Logger;

  constructor(private readonly options: WatchdogOptions) {
    this.log = options.log ?? silentLogger;
  }

  /** Interval between rounds: half the manager's timeout. */
  get intervalMs(): number {
    return Math.max(1, Math.floor(this.options.timeoutMs / 2));
  }

  register(probe: LivenessProbe): this {
    this.probes.push(probe);
    return this;
  }

  start(): void {
    if (this.timer) return;
    // A round runs from a timer: a rejection left unhandled there would stop the process.
    const round = (): void => guarded(() => this.check(), (e) => this.roundFailed(e));
    this.timer = setInterval(round, this.intervalMs);
    this.timer.unref();
    round();
  }

  /** The round itself threw: counted and logged at error; the next round runs as usual. */
  private roundFailed(e: unknown): void {
    this.options.errors?.count('WATCHDOG_ROUND_FAILED');
    this.log.error('watchdog round failed; the next one runs as usual', { code: 'WATCHDOG_ROUND_FAILED', error: asError(e) });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Runs one round and pings when all probes pass. While the previous round still waits on
   * a probe, returns that round instead of stacking another on a hung component.
   */
  check(): Promise<WatchdogRound> {
    if (this.inFlight) return this.inFlight;
    const round = this.runRound().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = round;
    return round;
  }

  private async runRound(): Promise<WatchdogRound> {
    const results = await Promise.all(this.probes.map((p) => runProbe(p)));
    const failed = results.filter((r) => !r.ok);
    const ok = failed.length === 0;
    if (ok) {
      if (this.failing) this.log.info('liveness restored; watchdog pings resume');
      this.failing = false;
      await this.options.notifier.watchdog();
    } else {
      const summary = failed.map((r) => `${r.name}: ${r.detail ?? 'failed'}`).join('; ');
      if (!this.failing) this.log.error('liveness probe failed; watchdog ping withheld', { failed: summary });
      this.failing = true;
      await this.options.notifier.setStatus(`unhealthy, watchdog withheld: ${summary}`);
    }
    const round: WatchdogRound = { ok, results, pinged: ok };
    try {
      this.options.onRound?.(round);
    } catch (e) {
      this.roundFailed(e);
    }
    return round;
  }
}

async function runProbe(probe: LivenessProbe): Promise<ProbeResult> {
  const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ name: probe.name, ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const answer = (async (): Promise<ProbeResult> => {
    try {
      const verdict = await probe.check();
      if (verdict && !verdict.ok) return { name: probe.name, ok: false, detail: verdict.detail ?? 'not alive' };
      return verdict?.detail ? { name: probe.name, ok: true, detail: verdict.detail } : { name: probe.name, ok: true };
    } catch (e) {
      return { name: probe.name, ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  })();
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The pipeline is alive when readings keep arriving, or when it is idle by design (no
 * source configured to report that often, e.g. a door sensor that only speaks on change).
 */
export function pipelineProbe(opts: {
  clock: Clock;
  /** ms timestamp of the last Reading accepted by the pipeline, undefined if none yet. */
  lastActivityAt: () => number | undefined;
  /** Silence longer than this is a wedged pipeline. */
  maxSilenceMs: number;
  /** True while no source is expected to produce (all event-driven, or none configured). */
  idleByDesign?: () => boolean;
  /** When the pipeline started, so a fresh start is given maxSilenceMs before judging. */
  startedAt: number;
  timeoutMs?: number;
}): LivenessProbe {
  return {
    name: 'pipeline',
    timeoutMs: opts.timeoutMs ?? 1_000,
    check: async () => {
      if (opts.idleByDesign?.()) return { ok: true, detail: 'idle by design' };
      const now = opts.clock.now();
      const last = opts.lastActivityAt() ?? opts.startedAt;
      const silence = now - last;
      return silence <= opts.maxSilenceMs ? { ok: true } : { ok: false, detail: `no reading for ${Math.round(silence / 1000)} s` };
    },
  };
}

/** Wraps a component's own self-test (store: a write in a rolled-back transaction; signer: sign a fixed digest). */
export function componentProbe(name: string, check: () => Promise<unknown>, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): LivenessProbe {
  return {
    name,
    timeoutMs,
    check: async () => {
      await check();
    },
  };
}

/**
 * Graceful stop on SIGTERM/SIGINT: STOPPING=1 first, then the runtime's steps in order
 * (stop sources, flush outbox state, close the store, close the broker connection), all
 * inside a deadline below the unit's TimeoutStopSec=30 so systemd never has to SIGKILL
 * the agent in the middle of an SQLite commit.
 */
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { SdNotifier } from './sd-notify.ts';

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export interface ShutdownOptions {
  notifier: SdNotifier;
  steps: ShutdownStep[];
  /** Whole-shutdown deadline; default 20 s, inside TimeoutStopSec=30. */
  deadlineMs?: number;
  log?: Logger;
}

export interface ShutdownOutcome {
  /** True when every step finished within the deadline without throwing. */
  clean: boolean;
  failed: string[];
}

/** Runs the steps once; a second call returns the first call's outcome. */
export function createShutdown(opts: ShutdownOptions): (reason: string) => Promise<ShutdownOutcome> {
  const log = opts.log ?? silentLogger;
  const deadlineMs = opts.deadlineMs ?? 20_000;
  let running: Promise<ShutdownOutcome> | undefined;

  const run = async (reason: string): Promise<ShutdownOutcome> => {
    await opts.notifier.stopping(`stopping: ${reason}`);
    log.info('shutting down', { reason });
    const failed: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const steps = (async () => {
      for (const step of opts.steps) {
        try {
          await step.run();
        } catch (e) {
          failed.push(step.name);
          log.error('shutdown step failed', { step: step.name, error: e });
        }
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([steps, deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      log.error('shutdown deadline passed', { deadlineMs });
      failed.push('deadline');
    }
    opts.notifier.close();
    return { clean: failed.length === 0, failed };
  };

  return (reason) => (running ??= run(reason));
}

/**
 * Wires SIGTERM and SIGINT to the shutdown and hands its outcome to `done` (the caller picks
 * the exit code). A second signal during the stop joins the first one's shutdown, so a second
 * Ctrl-C cannot kill the agent mid-commit; the deadline still bounds the wait.
 */
export function onTerminationSignals(shutdown: (reason: string) => Promise<ShutdownOutcome>, done: (outcome: ShutdownOutcome) => void): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    void shutdown(signal).then(done);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

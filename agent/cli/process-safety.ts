/**
 * The last line of defence while `run` is running. Every task the agent does not wait for
 * catches its own failures (runtime/background.ts); a rejection that still reaches the process
 * is a bug, and Node's default for it is to stop the process. Here it is logged at error
 * (UNHANDLED_REJECTION), counted in the agent's own counter (so /metrics, /status.json and
 * `place-agent status` show it) and the agent keeps running.
 *
 * An exception nobody caught is different: it unwound through code that may have been midway
 * through changing state, so going on could sign from an inconsistent state. It is logged at
 * error (UNCAUGHT_EXCEPTION) and the process exits 3 once the log line is out (at most
 * `flushMs` later); systemd's Restart=on-failure starts the agent again, and every committed
 * observation is on disk.
 */
import type { EventEmitter } from 'node:events';
import { asError, type ErrorCounter } from '../../core/coded-error.ts';
import type { Logger } from '../../core/log.ts';
import { RuntimeErrorCode, type AgentCountedCode } from '../runtime/errors.ts';
import { EXIT } from './errors.ts';

export interface SafetyNetOptions {
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  /** The process, or an emitter standing in for it. */
  proc?: Pick<EventEmitter, 'on' | 'off'>;
  /** Ends the process (process.exit). */
  exit?: (code: number) => void;
  /** Calls back once what was logged is written (stderr drained). */
  flush?: (done: () => void) => void;
  /** Exit this long after an uncaught exception even if the flush never calls back. */
  flushMs?: number;
}

/** Installs both handlers; returns their removal. */
export function installSafetyNet(o: SafetyNetOptions): () => void {
  const proc = o.proc ?? process;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const flush = o.flush ?? ((done: () => void) => void process.stderr.write('', () => done()));
  const onRejection = (reason: unknown): void => {
    o.errors.count(RuntimeErrorCode.UNHANDLED_REJECTION);
    o.logger.error('a rejection nobody handled (a bug); counted, the agent goes on', { code: RuntimeErrorCode.UNHANDLED_REJECTION, error: asError(reason) });
  };
  let exiting = false;
  const onException = (e: unknown): void => {
    if (exiting) return;
    exiting = true;
    o.errors.count(RuntimeErrorCode.UNCAUGHT_EXCEPTION);
    try {
      o.logger.error('an exception nobody caught (a bug); state may be inconsistent, exiting 3 for a restart', { code: RuntimeErrorCode.UNCAUGHT_EXCEPTION, error: asError(e) });
    } finally {
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        exit(EXIT.RUNTIME);
      };
      setTimeout(end, o.flushMs ?? 1000);
      flush(end);
    }
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

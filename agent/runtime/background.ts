/**
 * A task the agent starts and does not wait for (a timer's tick, a list's consequences, a
 * bookkeeping write after a commit). Node stops the process on a rejection nobody handles, so
 * each one goes through here: whatever it throws or rejects with is counted (its own code, e.g.
 * SQLITE_FULL, or BACKGROUND_TASK_FAILED), logged at error with the task's name, and the agent
 * goes on; the next tick runs as usual.
 */
import { asError, codeOf, type ErrorCounter } from '../../core/coded-error.ts';
import { guarded } from '../../core/guarded.ts';
import type { Logger } from '../../core/log.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';

export interface BackgroundContext {
  errors: ErrorCounter<AgentCountedCode>;
  logger: Logger;
}

export function inBackground(task: string, run: () => Promise<unknown>, o: BackgroundContext): void {
  guarded(run, (e) => backgroundFailed(task, e, o));
}

/** What inBackground does with a failure, for a caller that caught one itself (a timer's callback). */
export function backgroundFailed(task: string, e: unknown, o: BackgroundContext): void {
  const code = codeOf(e, RuntimeErrorCode.BACKGROUND_TASK_FAILED);
  o.errors.count(code);
  o.logger.error('a background task failed; the agent goes on', { code, task, error: asError(e) });
}

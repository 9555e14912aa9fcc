import { describe, expect, it } from 'vitest';
import { inBackground } from '../../agent/runtime/background.ts';
import { asError, ErrorCounter } from '../../core/coded-error.ts';
import { capturedLog } from '../support/captured-log.ts';
import type { AgentCountedCode } from '../../agent/runtime/errors.ts';

describe('asError', () => {
  it('keeps an Error and wraps anything else so a log line still names it', () => {
    const e = new TypeError('x');
    expect(asError(e)).toBe(e);
    expect(asError(42).message).toBe('rejected with a non-error: 42');
    expect(asError(undefined).message).toBe('rejected with a non-error: undefined');
  });

  it('is what a background task that rejects with a non-error is logged with', async () => {
    const { lines, logger } = capturedLog();
    const errors = new ErrorCounter<AgentCountedCode>();
    inBackground('tick', () => Promise.reject(42), { errors, logger });
    await new Promise((r) => setImmediate(r));
    expect(errors.get('BACKGROUND_TASK_FAILED')).toBe(1);
    expect(lines[0]).toMatchObject({ code: 'BACKGROUND_TASK_FAILED', task: 'tick', error: { message: 'rejected with a non-error: 42' } });
  });
});

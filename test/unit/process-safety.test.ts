/**
 * `run`'s process-level handlers (agent/cli/process-safety.ts), installed into an emitter that
 * stands in for the process: a stray rejection is logged at error and counted, and nothing
 * exits; an uncaught exception is logged at error and exits 3 once the log is flushed (or after
 * the flush deadline when the flush never answers). Removing them leaves nothing behind.
 * Through the real binary: test/integration/process-safety-net.test.ts.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ErrorCounter } from '../../core/coded-error.ts';
import { capturedLog } from '../support/captured-log.ts';
import type { AgentCountedCode } from '../../agent/runtime/errors.ts';
import { installSafetyNet } from '../../agent/cli/process-safety.ts';

function harness(flush: (done: () => void) => void = (done) => done(), flushMs = 1000) {
  const proc = new EventEmitter();
  const { lines, logger } = capturedLog();
  const errors = new ErrorCounter<AgentCountedCode>();
  const exits: number[] = [];
  const off = installSafetyNet({ proc, errors, logger, exit: (c) => exits.push(c), flush, flushMs });
  return { proc, lines, errors, exits, off };
}

describe('the process safety net of run', () => {
  it('logs a stray rejection at error, counts it and lets the agent go on', () => {
    const h = harness();
    h.proc.emit('unhandledRejection', new TypeError('stray'), Promise.resolve());
    h.proc.emit('unhandledRejection', 42, Promise.resolve());
    expect(h.errors.get('UNHANDLED_REJECTION')).toBe(2);
    expect(h.lines).toHaveLength(2);
    expect(h.lines[0]).toMatchObject({ level: 'error', code: 'UNHANDLED_REJECTION', error: { name: 'TypeError', message: 'stray' } });
    expect(h.lines[1]!.error!.message).toContain('42');
    expect(h.exits).toEqual([]);
  });

  it('logs an uncaught exception at error and exits 3 after the flush, once', async () => {
    let flushed: (() => void) | undefined;
    const h = harness((done) => void (flushed = done));
    h.proc.emit('uncaughtException', new RangeError('broken state'), 'uncaughtException');
    expect(h.lines).toEqual([expect.objectContaining({ level: 'error', code: 'UNCAUGHT_EXCEPTION', error: expect.objectContaining({ name: 'RangeError' }) })]);
    expect(h.exits).toEqual([]); // not before the log is out
    flushed!();
    expect(h.exits).toEqual([3]);
    h.proc.emit('uncaughtException', new Error('again'), 'uncaughtException');
    await new Promise((r) => setTimeout(r, 30));
    expect(h.exits).toEqual([3]);
    h.off();
  });

  it('exits 3 at the flush deadline when the flush never answers', async () => {
    const h = harness(() => undefined, 20);
    h.proc.emit('uncaughtException', new Error('wedged'), 'uncaughtException');
    await new Promise((r) => setTimeout(r, 80));
    expect(h.exits).toEqual([3]);
  });

  it('removes both handlers', () => {
    const h = harness();
    h.off();
    expect(h.proc.listenerCount('unhandledRejection')).toBe(0);
    expect(h.proc.listenerCount('uncaughtException')).toBe(0);
  });
});

/**
 * The watchdog's rounds run from a timer, where a rejection nobody handles would stop the
 * agent. A round that fails in itself (its metrics update throws, a bug) is counted
 * WATCHDOG_ROUND_FAILED and logged at error; the pings go on while the probes pass.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCounter } from '../../core/coded-error.ts';
import type { AgentCountedCode } from '../../agent/runtime/errors.ts';
import { MemoryTransport, SdNotifier } from '../../agent/ops/sd-notify.ts';
import { componentProbe, Watchdog } from '../../agent/ops/watchdog.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { capturedLog } from '../support/captured-log.ts';
import { collectUnhandledRejections } from '../support/unhandled-rejections.ts';

describe('Watchdog when a round fails in itself', () => {
  const unhandled = collectUnhandledRejections();

  it('counts and logs it, leaves nothing unhandled and keeps pinging', async () => {
    const transport = new MemoryTransport();
    const errors = new ErrorCounter<AgentCountedCode>();
    const { lines, logger } = capturedLog();
    const watchdog = new Watchdog({
      notifier: new SdNotifier(transport),
      timeoutMs: 40,
      log: logger,
      errors,
      onRound: () => {
        throw new TypeError('metrics bug');
      },
    });
    watchdog.register(componentProbe('store', async () => undefined));
    watchdog.start();
    try {
      await waitFor(() => errors.get('WATCHDOG_ROUND_FAILED') >= 3, 10_000, 'three failed rounds');
    } finally {
      watchdog.stop();
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(transport.messages.filter((m) => m === 'WATCHDOG=1').length).toBeGreaterThanOrEqual(3);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'WATCHDOG_ROUND_FAILED', error: { name: 'TypeError' } });
    expect(unhandled).toEqual([]);
  });
});

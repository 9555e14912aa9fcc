/**
 * A reading callback that throws (a bug downstream of the driver) unwinds the poll loop. It must
 * neither stop the process through an unhandled rejection nor silence the sensor until someone
 * restarts the agent: the source counts MODBUS_INTERNAL, logs it at error, reports itself down
 * with a detail that says it will retry, and starts the loop again after a backoff that grows
 * while the failures go on and starts over once a round completes. Over a real pty, against the
 * simulated slave; the source's timers (round interval, restart) are stepped by hand.
 * (The agent's own callback catches what it throws: place-agent-reading.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ManualTimers } from '../../../core/timers.ts';
import type { ModbusPointReading } from '../../../drivers/modbus/modbus-source.ts';
import { loadBuiltinProfile } from '../../../drivers/modbus/profile.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { pollingSource, slaveOnPtyPerTest, until } from './pty-pair.ts';
import { capturedLog } from '../../support/captured-log.ts';
import { collectUnhandledRejections } from '../../support/unhandled-rejections.ts';

const BAUD = 19_200;
/** The pty tests' round interval (pollingSource): the one pending timer between two good rounds. */
const INTERVAL_MS = 20;

describe('ModbusSource when its reading callback throws', () => {
  const bus = slaveOnPtyPerTest(BAUD);
  const unhandled = collectUnhandledRejections();

  it('counts and logs each failure, polls again after a growing backoff, and is up again once readings flow', async () => {
    const { pty, slave } = bus;
    slave.addUnit(1, { holding: { 256: 4250, 257: 0 } });
    const { lines, logger } = capturedLog();
    const clock = new ManualClock(1_000_000);
    const timers = new ManualTimers(clock);
    const src = pollingSource(new SerialPortLink({ path: pty.a, baudRate: BAUD }), BAUD, [{ unit: 1, profile: loadBuiltinProfile('ultrasonic-range') }], {
      logger,
      clock,
      timers,
      loopRestartBackoff: { initialMs: 1_000, maxMs: 3_000, factor: 2, jitter: 0 },
    });
    let failuresLeft = 3;
    const distances: number[] = [];
    await src.start((r) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new TypeError('downstream bug');
      }
      const v = r.value as ModbusPointReading;
      if (v.point === 'distance') distances.push(v.value);
    });

    const restartDelays: number[] = [];
    for (let failure = 1; failure <= 3; failure++) {
      await until(() => src.health().errors.MODBUS_INTERNAL === failure && timers.pendingDelays().length === 1, `failure ${failure} and its restart timer`);
      const h = src.health();
      expect(h.state).toBe('down');
      expect(h.detail).toContain('MODBUS_INTERNAL: TypeError: downstream bug');
      expect(h.detail).toContain(`${failure} time(s) in a row; retrying in`);
      expect(h.detail).not.toContain('restart the agent');
      expect(distances).toEqual([]);
      const [delay] = timers.pendingDelays();
      restartDelays.push(delay!);
      timers.advance(delay!);
    }
    // Doubling from 1 s, held at the 3 s cap.
    expect(restartDelays).toEqual([1_000, 2_000, 3_000]);

    await until(() => src.completedRounds === 1, 'a round completed after the restarts');
    expect(distances).toEqual([4.25]);
    const up = src.health();
    expect(up.state).toBe('up');
    expect(up.detail).toBeUndefined();
    expect(up.errors.MODBUS_INTERNAL).toBe(3);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(3);
    for (const l of errors) expect(l).toMatchObject({ code: 'MODBUS_INTERNAL', error: { name: 'TypeError', message: 'downstream bug' } });
    // The loop runs on: the next round is due after the interval, and it reads again.
    expect(timers.pendingDelays()).toEqual([INTERVAL_MS]);
    timers.advance(INTERVAL_MS);
    await until(() => src.completedRounds === 2, 'the next round');
    expect(distances).toEqual([4.25, 4.25]);

    // A completed round reset the backoff: a new failure waits the initial delay again.
    failuresLeft = 1;
    timers.advance(INTERVAL_MS);
    await until(() => src.health().errors.MODBUS_INTERNAL === 4 && timers.pendingDelays().length === 1, 'a later failure and its restart timer');
    expect(timers.pendingDelays()).toEqual([1_000]);
    expect(src.health().detail).toContain('1 time(s) in a row; retrying in 1000 ms');
    await src.stop();
    expect(unhandled).toEqual([]);
  });

  it('cancels a pending restart on stop(): no timer left, no request after stop', async () => {
    const { pty, slave } = bus;
    slave.addUnit(1, { holding: { 256: 4250, 257: 0 } });
    const clock = new ManualClock(1_000_000);
    const timers = new ManualTimers(clock);
    const src = pollingSource(new SerialPortLink({ path: pty.a, baudRate: BAUD }), BAUD, [{ unit: 1, profile: loadBuiltinProfile('ultrasonic-range') }], {
      clock,
      timers,
      loopRestartBackoff: { initialMs: 1_000, jitter: 0 },
    });
    let calls = 0;
    await src.start(() => {
      calls++;
      throw new TypeError('downstream bug');
    });
    await until(() => timers.pendingDelays().length === 1, 'the restart timer');
    const asked = slave.requests.length;
    await src.stop();
    expect(timers.pendingDelays()).toEqual([]);
    timers.advance(120_000);
    // Give a poll that should not happen, or an unhandled rejection, a turn to surface.
    await new Promise((r) => setTimeout(r, 50));
    expect(slave.requests.length).toBe(asked);
    expect(calls).toBe(1);
    expect(src.health().errors.MODBUS_INTERNAL).toBe(1);
    expect(unhandled).toEqual([]);
  });
});

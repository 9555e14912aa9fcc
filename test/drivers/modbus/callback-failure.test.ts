/**
 * A reading callback that throws (a bug downstream of the driver) must not stop the process
 * through an unhandled rejection of the poll loop: the source counts MODBUS_INTERNAL, logs it
 * at error and reports itself down with a detail that says so. Over a real pty, against the
 * simulated slave. (The agent's own callback catches what it throws: place-agent-reading.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBuiltinProfile } from '../../../drivers/modbus/profile.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import type { SimulatedModbusSlave } from '../../../hil/modbus-slave.ts';
import { pollingSource, slaveOnPty, until, type PtyPair } from './pty-pair.ts';
import { capturedLog } from '../../support/captured-log.ts';
import { collectUnhandledRejections } from '../../support/unhandled-rejections.ts';

const BAUD = 19_200;

describe('ModbusSource when its reading callback throws', () => {
  let pty: PtyPair;
  let slave: SimulatedModbusSlave;
  const unhandled = collectUnhandledRejections();

  beforeEach(async () => {
    ({ pty, slave } = await slaveOnPty(BAUD));
  });

  afterEach(async () => {
    await slave.close();
    await pty.close();
  });

  it('counts MODBUS_INTERNAL, logs it, reports the source down and leaves no rejection unhandled', async () => {
    slave.addUnit(1, { holding: { 256: 4250, 257: 0 } });
    const { lines, logger } = capturedLog();
    const src = pollingSource(new SerialPortLink({ path: pty.a, baudRate: BAUD }), BAUD, [{ unit: 1, profile: loadBuiltinProfile('ultrasonic-range') }], {
      logger: logger,
    });
    let calls = 0;
    await src.start(() => {
      calls++;
      throw new TypeError('downstream bug');
    });
    await until(() => lines.some((l) => l.level === 'error'), 'the loop failure logged');
    // Give an unhandled rejection, if any, a turn to surface.
    await new Promise((r) => setTimeout(r, 50));
    const h = src.health();
    await src.stop();
    expect(calls).toBe(1);
    expect(unhandled).toEqual([]);
    expect(h.state).toBe('down');
    expect(h.detail).toContain('MODBUS_INTERNAL');
    expect(h.errors.MODBUS_INTERNAL).toBe(1);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'MODBUS_INTERNAL', error: { name: 'TypeError' } });
  });
});

/**
 * A bug in the response decoder (simulated: decodeResponse throws a TypeError for one slave's
 * answers) must not reach a user as a reading, nor stop the source: the request fails as
 * MODBUS_INTERNAL, counted in the source's health and logged at error, and polling goes on.
 * A bug in the request encoder (encodeRequest throws for another slave) fails that request the
 * same way, counted once by the master, with nothing sent. Over a real pty, against the
 * simulated slave.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Reading } from '../../../core/reading.ts';
import { ModbusRtuMaster } from '../../../drivers/modbus/master.ts';
import type { ModbusPointReading } from '../../../drivers/modbus/modbus-source.ts';
import { loadBuiltinProfile } from '../../../drivers/modbus/profile.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { pollingSource, slaveOnPtyPerTest, until } from './pty-pair.ts';
import { capturedLog } from '../../support/captured-log.ts';

const BAUD = 19_200;
const BROKEN = 7;
/** A slave whose requests the (simulated, buggy) encoder throws on before anything is sent. */
const UNENCODABLE = 9;

vi.mock(import('../../../drivers/modbus/frames.ts'), async (importOriginal) => {
  const real = await importOriginal();
  return {
    ...real,
    encodeRequest: (req) => {
      if (req.slave === UNENCODABLE) throw new RangeError('offset is out of bounds');
      return real.encodeRequest(req);
    },
    decodeResponse: (req, frame) => {
      if (req.slave === BROKEN) throw new TypeError("Cannot read properties of undefined (reading 'length')");
      return real.decodeResponse(req, frame);
    },
  };
});

describe('ModbusSource when its codec throws a foreign error', () => {
  const bus = slaveOnPtyPerTest(BAUD);

  it('counts it as MODBUS_INTERNAL, logs it at error, emits no reading for it and keeps polling every slave', async () => {
    const { pty, slave } = bus;
    slave.addUnit(BROKEN, { holding: { 256: 1000, 257: 0 } });
    slave.addUnit(1, { holding: { 256: 4250, 257: 0 } });
    const { lines, logger } = capturedLog();
    const range = loadBuiltinProfile('ultrasonic-range');
    const slaves = [
      { unit: BROKEN, profile: range },
      { unit: 1, profile: range },
    ];
    const src = pollingSource(new SerialPortLink({ path: pty.a, baudRate: BAUD }), BAUD, slaves, {
      // One failure would mark a slave down: the broken decoder must not count against slave 7.
      failuresBeforeDown: 1,
      backoffMinMs: 60_000,
      logger: logger,
    });
    const got: Reading<ModbusPointReading>[] = [];
    await src.start((r) => got.push(r as Reading<ModbusPointReading>));
    await until(() => src.completedRounds >= 3, 'three polling rounds');
    await src.stop();
    const h = src.health();
    expect(h.state).toBe('up');
    expect(h.errors.MODBUS_INTERNAL).toBeGreaterThanOrEqual(3);
    expect(got.some((r) => r.value.unit === BROKEN)).toBe(false);
    expect(got.filter((r) => r.value.unit === 1 && r.value.point === 'distance').at(-1)).toMatchObject({ value: { value: 4.25 }, quality: { ok: true } });
    // Asked again every round: a bug here says nothing about the slave.
    expect(slave.requests.filter((r) => r.slave === BROKEN).length).toBeGreaterThanOrEqual(3);
    expect(src.master.slaveHealth(BROKEN)).toMatchObject({ state: 'up', consecutiveFailures: 0 });
    const logged = lines.filter((l) => l.level === 'error');
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(logged[0]).toMatchObject({ code: 'MODBUS_INTERNAL', error: { name: 'TypeError' } });
  });

  it('fails a request its encoder throws on as MODBUS_INTERNAL, counted and logged once, sends nothing and does not charge the slave', async () => {
    const { pty, slave } = bus;
    const { lines, logger } = capturedLog();
    const link = new SerialPortLink({ path: pty.a, baudRate: BAUD });
    await link.open();
    const master = new ModbusRtuMaster({ link, baudRate: BAUD, failuresBeforeDown: 1, logger });
    await expect(master.request({ slave: UNENCODABLE, fn: 3, address: 256, count: 2 })).rejects.toMatchObject({ code: 'MODBUS_INTERNAL' });
    await link.close();
    expect(master.errors.snapshot()).toEqual({ MODBUS_INTERNAL: 1 });
    expect(master.slaveHealth(UNENCODABLE)).toMatchObject({ state: 'up', consecutiveFailures: 0 });
    expect(slave.requests.filter((r) => r.slave === UNENCODABLE)).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toMatchObject([{ code: 'MODBUS_INTERNAL', error: { name: 'RangeError' } }]);
  });
});

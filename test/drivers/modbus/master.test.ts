import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import type { Reading } from '../../../core/reading.ts';
import { withCrc } from '../../../drivers/modbus/crc16.ts';
import { ModbusRtuMaster } from '../../../drivers/modbus/master.ts';
import { ModbusSource, type ModbusPointReading } from '../../../drivers/modbus/modbus-source.ts';
import { loadBuiltinProfile } from '../../../drivers/modbus/profile.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import type { SimulatedModbusSlave } from '../../../hil/modbus-slave.ts';
import { supervisedMock } from '../serial/helpers.ts';
import { pollingSource, slaveOnPty, supervisedPty, until, type PtyPair } from './pty-pair.ts';

const BAUD = 19_200;

describe('Modbus RTU master against a simulated slave over a real pty', () => {
  let pty: PtyPair;
  let slave: SimulatedModbusSlave;
  let link: SerialPortLink;

  beforeEach(async () => {
    ({ pty, slave } = await slaveOnPty(BAUD));
    link = new SerialPortLink({ path: pty.a, baudRate: BAUD });
  });

  afterEach(async () => {
    await link.close();
    await slave.close();
    await pty.close();
  });

  it('reads holding and input registers and writes single and multiple registers', async () => {
    slave.addUnit(1, { holding: { 0: 10, 1: 11, 2: 12, 3: 13 }, input: { 100: 0xbeef, 101: 7 } });
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD });
    expect(m.t35Ms).toBeCloseTo((3.5 * 10 * 1000) / BAUD, 6);
    expect([...(await m.readHoldingRegisters(1, 0, 4))]).toEqual([10, 11, 12, 13]);
    expect([...(await m.readInputRegisters(1, 100, 2))]).toEqual([0xbeef, 7]);
    await m.writeSingleRegister(1, 2, 0xabcd);
    await m.writeMultipleRegisters(1, 0, [1, 2]);
    expect([...(await m.readHoldingRegisters(1, 0, 4))]).toEqual([1, 2, 0xabcd, 13]);
    expect(slave.requests.map((r) => r.function)).toEqual([3, 4, 6, 16, 3]);
  });

  it('turns exception responses into coded errors and keeps the slave up', async () => {
    slave.addUnit(1, { holding: { 0: 1 } });
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD });
    await expect(m.readHoldingRegisters(1, 40, 1)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION_2', details: { exception: 2 } });
    slave.defineBehavior((req) => (req.function === 6 ? Uint8Array.of(1, 0x86, 4, 0x43, 0xa3) : undefined));
    await expect(m.writeSingleRegister(1, 0, 5)).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION_4' });
    expect(m.slaveHealth(1)).toMatchObject({ state: 'up', consecutiveFailures: 0 });
  });

  it('reports a garbled answer as MODBUS_CRC', async () => {
    slave.addUnit(1, { holding: { 0: 1 } });
    slave.defineBehavior(() => Uint8Array.of(1, 3, 2, 0, 1, 0, 0));
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD });
    await expect(m.readHoldingRegisters(1, 0, 1)).rejects.toMatchObject({ code: 'MODBUS_CRC' });
  });

  it('ends a short answer at the inter-frame silence instead of waiting for the request timeout', async () => {
    slave.addUnit(1, { holding: { 0: 1, 1: 2 } });
    // Three bytes of a five-register answer, then nothing: a slave that browned out mid-frame.
    slave.defineBehavior(() => Uint8Array.of(1, 3, 10));
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD, timeoutMs: 30_000 });
    await expect(m.readHoldingRegisters(1, 0, 5)).rejects.toMatchObject({ code: 'MODBUS_BAD_RESPONSE' });
    expect(m.errors.get('MODBUS_TIMEOUT')).toBe(0);
  });

  it('finds the answer behind line noise and counts the noise as discarded', async () => {
    slave.addUnit(1, { holding: { 0: 0x1234, 1: 0x5678 } });
    const noise = Uint8Array.of(0x00, 0xff, 0x01, 0x03, 0x99);
    slave.defineBehavior((req, unit) => {
      if (req.function !== 3 || !unit) return undefined;
      const good = withCrc(Uint8Array.of(1, 3, 4, 0x12, 0x34, 0x56, 0x78));
      return Uint8Array.from([...noise, ...good]);
    });
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD });
    expect([...(await m.readHoldingRegisters(1, 0, 2))]).toEqual([0x1234, 0x5678]);
    expect(m.discardedBytes).toBe(noise.length);
  });

  it('sends a broadcast write that every unit applies without answering', async () => {
    slave.addUnit(1, { holding: { 5: 0 } });
    slave.addUnit(2, { holding: { 5: 0 } });
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD, turnaroundMs: 20 });
    await m.writeSingleRegister(0, 5, 77);
    expect([...(await m.readHoldingRegisters(1, 5, 1))]).toEqual([77]);
    expect([...(await m.readHoldingRegisters(2, 5, 1))]).toEqual([77]);
    expect(m.discardedBytes).toBe(0);
  });

  it('marks a silent slave down after its timeouts, refuses it without bus time until the backoff elapses, and recovers it', async () => {
    slave.addUnit(1, { holding: { 0: 1 } });
    slave.addUnit(2, { holding: { 0: 2 } });
    slave.setSilent(2, true);
    await link.open();
    const clock = new ManualClock(0);
    const m = new ModbusRtuMaster({ link, baudRate: BAUD, timeoutMs: 100, clock, failuresBeforeDown: 2, backoffMinMs: 10_000 });
    for (let i = 0; i < 2; i++) await expect(m.readHoldingRegisters(2, 0, 1)).rejects.toMatchObject({ code: 'MODBUS_TIMEOUT' });
    expect(m.slaveHealth(2)).toMatchObject({ state: 'down', nextProbeAt: 10_000 });
    const before = slave.requests.length;
    await expect(m.readHoldingRegisters(2, 0, 1)).rejects.toMatchObject({ code: 'MODBUS_SLAVE_DOWN' });
    expect(slave.requests.length).toBe(before);
    expect([...(await m.readHoldingRegisters(1, 0, 1))]).toEqual([1]);
    clock.set(10_000);
    await expect(m.readHoldingRegisters(2, 0, 1)).rejects.toMatchObject({ code: 'MODBUS_TIMEOUT' });
    expect(m.slaveHealth(2)).toMatchObject({ state: 'down', nextProbeAt: 30_000 });
    slave.setSilent(2, false);
    clock.set(30_000);
    expect([...(await m.readHoldingRegisters(2, 0, 1))]).toEqual([2]);
    expect(m.slaveHealth(2).state).toBe('up');
  });

  it('ModbusSource keeps reading a range sensor and an energy meter while a third slave is silent', async () => {
    const range = loadBuiltinProfile('ultrasonic-range');
    const meter = loadBuiltinProfile('energy-meter');
    slave.addUnit(1, { holding: { 256: 4250, 257: 0 } });
    slave.addUnit(2, { input: {} });
    slave.setFloat32(2, 'input', 0, 231.5);
    slave.setFloat32(2, 'input', 52, 7250);
    slave.setFloat32(2, 'input', 72, 1234.5);
    slave.addUnit(3, { holding: { 256: 1000, 257: 0 } });
    slave.setSilent(3, true);
    const slaves = [
      { unit: 3, profile: range, name: 'dead' },
      { unit: 1, profile: range, name: 'bay-1' },
      { unit: 2, profile: meter, name: 'charger-meter' },
    ];
    // pollingSource's 1 s timeout is long enough that a loaded machine does not time out the
    // slaves that answer (one failure marks a slave down for the rest of the test); the silent
    // one costs it once.
    const src = pollingSource(link, BAUD, slaves, { failuresBeforeDown: 1, backoffMinMs: 60_000 });
    const got: Reading<ModbusPointReading>[] = [];
    await src.start((r) => got.push(r as Reading<ModbusPointReading>));
    await until(() => src.completedRounds >= 3, 'three polling rounds');
    await src.stop();
    const latest = (unit: number, point: string): Reading<ModbusPointReading> | undefined =>
      got.filter((r) => r.value.unit === unit && r.value.point === point).at(-1);
    expect(latest(1, 'distance')).toMatchObject({ modality: 'range', value: { value: 4.25, unitOfMeasure: 'm' }, quality: { ok: true } });
    expect(latest(2, 'active_power')).toMatchObject({ modality: 'meter', value: { value: 7.25, unitOfMeasure: 'kW' } });
    expect(latest(2, 'available_power')!.value.value).toBeCloseTo(14.75, 6);
    expect(latest(2, 'voltage_l1')!.value.value).toBeCloseTo(231.5, 4);
    expect(got.some((r) => r.value.unit === 3)).toBe(false);
    // Each round after the first reads slave 1 and 2 again; slave 3 cost one timeout, then was skipped.
    expect(got.filter((r) => r.value.unit === 1 && r.value.point === 'distance').length).toBeGreaterThanOrEqual(3);
    expect(slave.requests.filter((r) => r.slave === 3).length).toBe(1);
    const h = src.health();
    expect(h.state).toBe('up');
    expect(h.detail).toMatch(/slaves down: 3 \(MODBUS_TIMEOUT\)/);
    expect(h.errors.MODBUS_TIMEOUT).toBe(1);
  });
});

describe('ModbusSource when the port vanishes', () => {
  it('reports the link down, reopens it when the device comes back and resumes polling', async () => {
    let { pty, slave } = await slaveOnPty(BAUD);
    slave.addUnit(1, { holding: { 256: 1500, 257: 0 } });
    const link = supervisedPty(pty.a, BAUD);
    const src = new ModbusSource({
      id: 'mb-unplug',
      link,
      baudRate: BAUD,
      timeoutMs: 100,
      intervalMs: 30,
      slaves: [{ unit: 1, profile: loadBuiltinProfile('ultrasonic-range') }],
    });
    const got: Reading<ModbusPointReading>[] = [];
    await src.start((r) => got.push(r as Reading<ModbusPointReading>));
    await until(() => got.length >= 2, 'first readings');
    await slave.close();
    await pty.close(true);
    await until(() => src.health().state === 'down', 'link down');
    ({ pty, slave } = await slaveOnPty(BAUD, pty.dir));
    slave.addUnit(1, { holding: { 256: 2500, 257: 0 } });
    await until(() => got.some((r) => r.value.point === 'distance' && r.value.value === 2.5), 'a reading after the device came back');
    expect(src.health().errors.MODBUS_LINK_LOST).toBe(1);
    expect(src.health().state).toBe('up');
    // The supervisor did the reopening, once, and counted the same single loss.
    expect(link.health()).toMatchObject({ state: 'open', opens: 2, errors: { SERIAL_VANISHED: 1 } });
    await src.stop();
    await slave.close();
    await pty.close();
  });
});

describe('Modbus RTU master over a ReconnectingLink', () => {
  it('fails a request cut off by a lost port as MODBUS_LINK_CLOSED at once, without charging the slave a timeout', async () => {
    const { link, ports } = supervisedMock('mock://rs485');
    await link.open();
    const m = new ModbusRtuMaster({ link, baudRate: BAUD, timeoutMs: 2_000, failuresBeforeDown: 1 });
    const pending = m.readHoldingRegisters(1, 0, 1);
    await until(() => ports[0]!.written.length === 1, 'request on the wire');
    ports[0]!.vanish();
    await expect(pending).rejects.toMatchObject({ code: 'MODBUS_LINK_CLOSED' });
    expect(m.errors.get('MODBUS_TIMEOUT')).toBe(0);
    expect(m.slaveHealth(1)).toMatchObject({ state: 'up', consecutiveFailures: 0 });
    await link.close();
  });
});

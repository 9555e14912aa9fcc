/**
 * The shipped energy-meter profile (drivers/modbus/profiles/energy-meter.json) as a simulated
 * Modbus unit: IEEE 754 floats in input registers, high word first, line voltage at 0x0000 and
 * total system power in W at 0x0034; the 80 registers an SDM630-class meter answers for.
 */
import type { SimulatedModbusSlave } from './modbus-slave.ts';

const VOLTAGE_REGISTER = 0x00;
const POWER_REGISTER = 0x34;

/** Adds the meter as `unit`, reading 230.1 V and drawing nothing. */
export function addEnergyMeter(slave: SimulatedModbusSlave, unit = 1): void {
  slave.addUnit(unit, { input: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [i, 0])) });
  slave.setFloat32(unit, 'input', VOLTAGE_REGISTER, 230.1);
  setPowerW(slave, 0, unit);
}

/** What the meter measures from now on: total system power in W. */
export function setPowerW(slave: SimulatedModbusSlave, watts: number, unit = 1): void {
  slave.setFloat32(unit, 'input', POWER_REGISTER, watts);
}

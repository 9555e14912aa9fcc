import { CodedError } from '../../core/coded-error.ts';

/** Modbus Application Protocol V1.1b3 §7: exception codes. */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export const ModbusErrorCode = {
  Crc: 'MODBUS_CRC',
  Timeout: 'MODBUS_TIMEOUT',
  /** Response from the wrong slave, with the wrong function or length. */
  BadResponse: 'MODBUS_BAD_RESPONSE',
  /** A request the master refuses to send (range, count, slave id). */
  BadRequest: 'MODBUS_BAD_REQUEST',
  /** The slave is marked down and its backoff has not elapsed; nothing was sent. */
  SlaveDown: 'MODBUS_SLAVE_DOWN',
  ProfileInvalid: 'MODBUS_PROFILE_INVALID',
  /** Bytes the sniffing decoder could not place in any CRC-valid frame. */
  Discarded: 'MODBUS_DISCARDED',
  LinkClosed: 'MODBUS_LINK_CLOSED',
} as const;

/** MODBUS_EXCEPTION_<n>, e.g. MODBUS_EXCEPTION_2 for illegal data address. */
export function exceptionCode(n: number): string {
  return `MODBUS_EXCEPTION_${n}`;
}

export class ModbusError extends CodedError {}

export function modbusException(slave: number, fn: number, n: number): ModbusError {
  return new ModbusError(exceptionCode(n), `slave ${slave} function ${fn}: exception ${n} (${MODBUS_EXCEPTIONS[n] ?? 'unknown'})`, {
    slave,
    function: fn,
    exception: n,
  });
}

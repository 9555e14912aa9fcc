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

/** Stable reasons a Modbus request fails or input is rejected; the codes never change meaning. */
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
  /** A request cut off, or not sent, because the port was closed or went away. */
  LinkClosed: 'MODBUS_LINK_CLOSED',
  /** The source's port went away (its supervisor reopens it); counted by ModbusSource. */
  LinkLost: 'MODBUS_LINK_LOST',
  /**
   * Encoding a request or decoding an answer threw something other than a ModbusError: a bug
   * here, counted and logged at error; the request fails instead of its answer being read as registers.
   */
  Internal: 'MODBUS_INTERNAL',
} as const;

/**
 * MODBUS_EXCEPTION_<n>, e.g. MODBUS_EXCEPTION_2 for illegal data address. The set is open: a
 * slave may answer any exception byte, and the code names the one it sent (MODBUS_EXCEPTIONS
 * lists those the spec defines).
 */
export type ModbusExceptionCode = `MODBUS_EXCEPTION_${number}`;
export type ModbusErrorCode = (typeof ModbusErrorCode)[keyof typeof ModbusErrorCode] | ModbusExceptionCode;

export function exceptionCode(n: number): ModbusExceptionCode {
  return `MODBUS_EXCEPTION_${n}`;
}

/** An exception answer: the slave is alive and refused the request. */
export function isExceptionCode(code: ModbusErrorCode): code is ModbusExceptionCode {
  return code.startsWith('MODBUS_EXCEPTION_');
}

/** A Modbus failure (no stack trace, as every CodedError: see core/coded-error.ts). */
export class ModbusError extends CodedError<ModbusErrorCode> {}

export function modbusException(slave: number, fn: number, n: number): ModbusError {
  return new ModbusError(exceptionCode(n), `slave ${slave} function ${fn}: exception ${n} (${MODBUS_EXCEPTIONS[n] ?? 'unknown'})`, {
    slave,
    function: fn,
    exception: n,
  });
}

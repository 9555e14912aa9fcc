import { crcOk, withCrc } from './crc16.ts';
import { ModbusError, ModbusErrorCode, modbusException } from './errors.ts';

export type RegisterFunction = 3 | 4;
export type ModbusFunction = 3 | 4 | 6 | 16;

/** Modbus Application Protocol V1.1b3 §6.3/§6.4: at most 125 registers per read; §6.12: 123 per write. */
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_REGISTERS = 123;

export interface ModbusRequest {
  slave: number;
  fn: ModbusFunction;
  address: number;
  /** Registers to read (3, 4) or write (16). */
  count: number;
  /** Values for 6 (one) and 16. */
  values?: readonly number[];
}

function check(cond: boolean, msg: string, details: Record<string, unknown>): void {
  if (!cond) throw new ModbusError(ModbusErrorCode.BadRequest, msg, details);
}

/** Serialises a request ADU: address, PDU, CRC (Modbus over Serial Line V1.02 §2.3). */
export function encodeRequest(r: ModbusRequest): Uint8Array {
  // Slave 0 is broadcast, only for writes (§2.1); 248..255 are reserved.
  check(Number.isInteger(r.slave) && r.slave >= 0 && r.slave <= 247, `slave ${r.slave} out of range`, { slave: r.slave });
  check(r.slave !== 0 || r.fn === 6 || r.fn === 16, 'broadcast (slave 0) is for writes only', { slave: 0, function: r.fn });
  check(Number.isInteger(r.address) && r.address >= 0 && r.address <= 0xffff, `address ${r.address} out of range`, { address: r.address });
  const u16 = (v: number): [number, number] => [(v >> 8) & 0xff, v & 0xff];
  switch (r.fn) {
    case 3:
    case 4:
      check(Number.isInteger(r.count) && r.count >= 1 && r.count <= MAX_READ_REGISTERS, `count ${r.count} out of 1..125`, { count: r.count });
      check(r.address + r.count <= 0x10000, 'range passes 0xFFFF', { address: r.address, count: r.count });
      return withCrc(Uint8Array.of(r.slave, r.fn, ...u16(r.address), ...u16(r.count)));
    case 6: {
      const v = r.values?.[0];
      check(r.values?.length === 1 && isU16(v), 'function 6 writes exactly one 16-bit value', { values: r.values });
      return withCrc(Uint8Array.of(r.slave, 6, ...u16(r.address), ...u16(v!)));
    }
    case 16: {
      const vs = r.values ?? [];
      check(vs.length >= 1 && vs.length <= MAX_WRITE_REGISTERS && vs.every(isU16), 'function 16 writes 1..123 16-bit values', { count: vs.length });
      check(r.address + vs.length <= 0x10000, 'range passes 0xFFFF', { address: r.address, count: vs.length });
      const body = [r.slave, 16, ...u16(r.address), ...u16(vs.length), vs.length * 2];
      for (const v of vs) body.push(...u16(v));
      return withCrc(Uint8Array.from(body));
    }
    default:
      throw new ModbusError(ModbusErrorCode.BadRequest, `function ${String(r.fn)} not supported`, { function: r.fn });
  }
}

function isU16(v: number | undefined): boolean {
  return v !== undefined && Number.isInteger(v) && v >= 0 && v <= 0xffff;
}

/** Length of the normal response to `r`, or of an exception response (5). */
export function responseLength(r: ModbusRequest): number {
  return r.fn === 3 || r.fn === 4 ? 5 + 2 * r.count : 8;
}

/**
 * Checks a complete response frame against its request. Returns the registers read (3, 4)
 * or an empty array (6, 16, whose echo is verified). Throws ModbusError: MODBUS_CRC,
 * MODBUS_EXCEPTION_<n>, MODBUS_BAD_RESPONSE.
 */
export function decodeResponse(r: ModbusRequest, f: Uint8Array): Uint16Array {
  const bad = (msg: string): ModbusError => new ModbusError(ModbusErrorCode.BadResponse, `slave ${r.slave} function ${r.fn}: ${msg}`, { slave: r.slave, function: r.fn, length: f.length });
  if (f.length < 5) throw bad(`frame of ${f.length} bytes is too short`);
  if (!crcOk(f)) throw new ModbusError(ModbusErrorCode.Crc, `slave ${r.slave} function ${r.fn}: CRC mismatch`, { slave: r.slave, function: r.fn });
  if (f[0] !== r.slave) throw bad(`answer from slave ${f[0]}`);
  if (f[1] === (r.fn | 0x80)) {
    if (f.length !== 5) throw bad('exception frame is not 5 bytes');
    throw modbusException(r.slave, r.fn, f[2]!);
  }
  if (f[1] !== r.fn) throw bad(`answer with function ${f[1]}`);
  if (f.length !== responseLength(r)) throw bad(`expected ${responseLength(r)} bytes, got ${f.length}`);
  if (r.fn === 3 || r.fn === 4) {
    if (f[2] !== 2 * r.count) throw bad(`byte count ${f[2]} for ${r.count} registers`);
    const regs = new Uint16Array(r.count);
    for (let i = 0; i < r.count; i++) regs[i] = (f[3 + 2 * i]! << 8) | f[4 + 2 * i]!;
    return regs;
  }
  const address = (f[2]! << 8) | f[3]!;
  const word = (f[4]! << 8) | f[5]!;
  const expectWord = r.fn === 6 ? r.values![0]! : r.values!.length;
  if (address !== r.address || word !== expectWord) throw bad('echo does not match the request');
  return new Uint16Array(0);
}

/**
 * A simulated Modbus RTU bus: one or more slave units behind one serial port (a socat pty
 * end, opened with node-serialport). Units hold holding and input registers, can be told to
 * go silent, and a test can override any request with a behaviour (after zwave-js's
 * MockController.defineBehavior): the first behaviour that returns a response, or
 * 'silent', handles the request.
 */
import type { SerialPort } from 'serialport';
import { closePort, openDevicePort } from './device-port.ts';
import { withCrc } from '../drivers/modbus/crc16.ts';
import { ModbusFrameScanner, type SniffedFrame } from '../drivers/modbus/sniffer.ts';

export interface SimulatedUnit {
  holding: Map<number, number>;
  input: Map<number, number>;
  silent: boolean;
}

export type SlaveRequest = Exclude<SniffedFrame, { kind: 'response' } | { kind: 'exception' }>;
export type SlaveBehavior = (req: SlaveRequest, unit: SimulatedUnit | undefined) => Uint8Array | 'silent' | undefined;

export interface SimulatedModbusSlaveOptions {
  path: string;
  baudRate: number;
}

export class SimulatedModbusSlave {
  readonly units = new Map<number, SimulatedUnit>();
  /** Every request seen on the bus, in order (whether or not a unit answered). */
  readonly requests: SlaveRequest[] = [];
  private readonly behaviors: SlaveBehavior[] = [];
  private readonly scanner = new ModbusFrameScanner();
  private port: SerialPort | undefined;

  constructor(private readonly options: SimulatedModbusSlaveOptions) {}

  addUnit(id: number, regs: { holding?: Record<number, number>; input?: Record<number, number> } = {}): SimulatedUnit {
    const unit: SimulatedUnit = {
      holding: new Map(Object.entries(regs.holding ?? {}).map(([k, v]) => [Number(k), v])),
      input: new Map(Object.entries(regs.input ?? {}).map(([k, v]) => [Number(k), v])),
      silent: false,
    };
    this.units.set(id, unit);
    return unit;
  }

  setSilent(id: number, silent: boolean): void {
    const u = this.units.get(id);
    if (u) u.silent = silent;
  }

  /** Stores an IEEE 754 float across two registers, high word first unless `little`. */
  setFloat32(id: number, table: 'holding' | 'input', address: number, value: number, wordOrder: 'big' | 'little' = 'big'): void {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, value);
    const hi = dv.getUint16(0);
    const lo = dv.getUint16(2);
    const t = this.units.get(id)![table];
    t.set(address, wordOrder === 'big' ? hi : lo);
    t.set(address + 1, wordOrder === 'big' ? lo : hi);
  }

  defineBehavior(b: SlaveBehavior): void {
    this.behaviors.unshift(b);
  }

  async open(): Promise<void> {
    const port = await openDevicePort(this.options.path, this.options.baudRate);
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    this.port = port;
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    await closePort(port);
  }

  private onData(chunk: Buffer): void {
    for (const ev of this.scanner.push(new Uint8Array(chunk))) {
      if (!('frame' in ev)) continue;
      const d = ev.decoded;
      // The slave only hears the master, so an identical repeated write-single is still a request.
      if (d.kind === 'exception' || (d.kind === 'response' && d.function !== 6)) continue;
      const req = { ...d, kind: 'request' } as SlaveRequest;
      this.requests.push(req);
      const reply = this.answer(req);
      if (reply) this.port?.write(Buffer.from(reply));
    }
  }

  private answer(req: SlaveRequest): Uint8Array | undefined {
    const unit = this.units.get(req.slave);
    for (const b of this.behaviors) {
      const r = b(req, unit);
      if (r === 'silent') return undefined;
      if (r) return r;
    }
    // Broadcast writes are carried out by every unit and never answered (Modbus over Serial Line §2.1).
    if (req.slave === 0) {
      for (const u of this.units.values()) {
        if (req.function === 6 && u.holding.has(req.address)) u.holding.set(req.address, req.value);
        if (req.function === 16) req.values.forEach((v, i) => u.holding.has(req.address + i) && u.holding.set(req.address + i, v));
      }
      return undefined;
    }
    // Unknown units are not on the bus.
    if (!unit || unit.silent) return undefined;
    const ex = (code: number): Uint8Array => withCrc(Uint8Array.of(req.slave, req.function | 0x80, code));
    const be = (v: number): [number, number] => [(v >> 8) & 0xff, v & 0xff];
    switch (req.function) {
      case 3:
      case 4: {
        if (req.count < 1 || req.count > 125) return ex(3);
        const table = req.function === 3 ? unit.holding : unit.input;
        const body = [req.slave, req.function, req.count * 2];
        for (let a = req.address; a < req.address + req.count; a++) {
          const v = table.get(a);
          if (v === undefined) return ex(2);
          body.push(...be(v));
        }
        return withCrc(Uint8Array.from(body));
      }
      case 6:
        if (!unit.holding.has(req.address)) return ex(2);
        unit.holding.set(req.address, req.value);
        return withCrc(Uint8Array.of(req.slave, 6, ...be(req.address), ...be(req.value)));
      case 16:
        if (req.count !== req.values.length || req.count > 123) return ex(3);
        for (let i = 0; i < req.count; i++) if (!unit.holding.has(req.address + i)) return ex(2);
        req.values.forEach((v, i) => unit.holding.set(req.address + i, v));
        return withCrc(Uint8Array.of(req.slave, 16, ...be(req.address), ...be(req.count)));
    }
  }
}

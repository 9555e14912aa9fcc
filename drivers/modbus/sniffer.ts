import type { DecodeEvent, StreamDecoder } from '../../core/stream-decoder.ts';
import { crcOk } from './crc16.ts';
import { MODBUS_EXCEPTIONS, ModbusErrorCode } from './errors.ts';

/** Modbus over Serial Line V1.02 §2.5.1: an RTU frame is at most 256 bytes. */
export const MAX_RTU_FRAME = 256;

export type SniffedFrame =
  | { kind: 'request'; slave: number; function: 3 | 4; address: number; count: number }
  | { kind: 'request' | 'response'; slave: number; function: 6; address: number; value: number }
  | { kind: 'request'; slave: number; function: 16; address: number; count: number; values: number[] }
  | { kind: 'response'; slave: number; function: 3 | 4; registers: number[] }
  | { kind: 'response'; slave: number; function: 16; address: number; count: number }
  | { kind: 'exception'; slave: number; function: number; exception: number; exceptionText: string };

export type ScanEvent = { frame: Uint8Array; decoded: SniffedFrame } | { discarded: Uint8Array };

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;

/** Lengths the bytes at the start of `b` could be a frame of, shortest first (request and response forms). */
function candidateLengths(b: Uint8Array, n: number): number[] | undefined {
  if (n < 2) return undefined;
  if (b[0]! > 247) return [];
  const fn = b[1]!;
  if (fn & 0x80) return [5];
  switch (fn) {
    case 3:
    case 4:
      return n < 3 ? undefined : [8, 5 + b[2]!].sort((x, y) => x - y);
    case 6:
      return [8];
    case 16:
      return n < 7 ? [8] : [8, 9 + b[6]!];
    default:
      return [];
  }
}

function interpret(f: Uint8Array, previous: Uint8Array | undefined): SniffedFrame {
  const slave = f[0]!;
  const fn = f[1]!;
  if (fn & 0x80) {
    const ex = f[2]!;
    return { kind: 'exception', slave, function: fn & 0x7f, exception: ex, exceptionText: MODBUS_EXCEPTIONS[ex] ?? 'unknown' };
  }
  if (fn === 3 || fn === 4) {
    if (f.length === 8 && f[2] !== 3) return { kind: 'request', slave, function: fn, address: u16(f, 2), count: u16(f, 4) };
    const regs: number[] = [];
    for (let i = 3; i + 1 < f.length - 2; i += 2) regs.push(u16(f, i));
    return { kind: 'response', slave, function: fn, registers: regs };
  }
  if (fn === 6) {
    // A write-single response echoes its request byte for byte.
    const echo = previous !== undefined && previous.length === 8 && previous.every((v, i) => v === f[i]);
    return { kind: echo ? 'response' : 'request', slave, function: 6, address: u16(f, 2), value: u16(f, 4) };
  }
  if (f.length === 8) return { kind: 'response', slave, function: 16, address: u16(f, 2), count: u16(f, 4) };
  const values: number[] = [];
  for (let i = 7; i + 1 < f.length - 2; i += 2) values.push(u16(f, i));
  return { kind: 'request', slave, function: 16, address: u16(f, 2), count: u16(f, 4), values };
}

/**
 * Finds CRC-valid RTU frames in a byte stream without timing (a capture, or a port read
 * with unknown gaps). Bytes that fit no frame are reported as discarded runs, never dropped.
 * Buffering is bounded by the largest RTU frame.
 */
export class ModbusFrameScanner {
  private buf = new Uint8Array(0);
  private run: number[] = [];
  private previous: Uint8Array | undefined;

  push(chunk: Uint8Array): ScanEvent[] {
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf);
    next.set(chunk, this.buf.length);
    this.buf = next;
    return this.scan(false);
  }

  flush(): ScanEvent[] {
    const out = this.scan(true);
    for (const b of this.buf) this.run.push(b);
    this.buf = new Uint8Array(0);
    this.emitRun(out);
    return out;
  }

  private scan(final: boolean): ScanEvent[] {
    const out: ScanEvent[] = [];
    let pos = 0;
    const b = this.buf;
    while (pos < b.length) {
      const view = b.subarray(pos);
      const lens = candidateLengths(view, view.length);
      if (lens === undefined) {
        if (final) {
          this.run.push(b[pos]!);
          pos++;
          continue;
        }
        break;
      }
      const plausible = lens.filter((l) => l >= 5 && l <= MAX_RTU_FRAME);
      const hit = plausible.find((l) => l <= view.length && crcOk(view, l));
      if (hit !== undefined) {
        this.emitRun(out);
        const frame = view.slice(0, hit);
        out.push({ frame, decoded: interpret(frame, this.previous) });
        this.previous = frame;
        pos += hit;
        continue;
      }
      if (!final && plausible.some((l) => l > view.length)) break;
      this.run.push(b[pos]!);
      if (this.run.length >= MAX_RTU_FRAME) this.emitRun(out);
      pos++;
    }
    this.buf = b.slice(pos);
    // Skipped bytes are final once passed: report them now rather than with the next frame.
    this.emitRun(out);
    return out;
  }

  private emitRun(out: ScanEvent[]): void {
    if (this.run.length === 0) return;
    out.push({ discarded: Uint8Array.from(this.run) });
    this.run = [];
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** `place-agent decode modbus`: sniffed RTU traffic (requests and responses) as JSON, CRC checked. */
export function createModbusStreamDecoder(): StreamDecoder<ModbusErrorCode> {
  const scanner = new ModbusFrameScanner();
  const toEvents = (evs: ScanEvent[]): DecodeEvent<ModbusErrorCode>[] =>
    evs.map((e) =>
      'frame' in e
        ? { ok: true, message: { ...e.decoded, raw: hex(e.frame) } }
        : { ok: false, code: ModbusErrorCode.Discarded, reason: `${e.discarded.length} bytes fit no CRC-valid RTU frame`, raw: hex(e.discarded) },
    );
  return {
    push: (chunk) => toEvents(scanner.push(chunk)),
    flush: () => toEvents(scanner.flush()),
  };
}

import { asRfidError, RfidError, RfidErrorCode } from './errors.ts';

/**
 * UHF EPC Gen2 readers built on the Magic RF M100 / QM100 chip (sold as R200, YRM100,
 * JRD-100 modules) share one serial framing, documented in README.md:
 *   BB | type | command | PL (2 bytes, MSB first) | parameters (PL bytes) | checksum | 7E
 * type 0x00 = command, 0x01 = response, 0x02 = notice; checksum = low byte of the sum of
 * type .. last parameter byte. A tag read is a notice with command 0x22 whose parameters are
 * RSSI (1 byte, signed dBm) | PC (2 bytes) | EPC (2 x PC[15:11] bytes) | CRC-16 of the EPC memory (2 bytes).
 */
export const UHF_HEADER = 0xbb;
export const UHF_END = 0x7e;
export const UHF_CMD_INVENTORY = 0x22;
/** Largest parameter block we accept; the longest M100 payloads (memory reads) stay well below. */
export const UHF_MAX_PARAMS = 255;

export interface UhfTagRead {
  /** EPC as upper-case hex. */
  epc: string;
  pc: number;
  /** Received signal strength in dBm (negative). */
  rssi: number;
  crc: number;
}

export type UhfFrame = { type: number; command: number; params: Uint8Array };

export function uhfChecksum(bytes: Uint8Array | number[], start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + bytes[i]!) & 0xff;
  return s;
}

export function encodeUhfFrame(type: number, command: number, params: Uint8Array | number[]): Uint8Array {
  const body = [type, command, (params.length >> 8) & 0xff, params.length & 0xff, ...params];
  return Uint8Array.from([UHF_HEADER, ...body, uhfChecksum(body, 0, body.length), UHF_END]);
}

/** A tag-read notice as a reader sends it (for simulated readers and tests). */
export function encodeUhfTagNotice(epcHex: string, rssi: number, crc = 0): Uint8Array {
  const epc = [...Buffer.from(epcHex, 'hex')];
  const pc = (epc.length / 2) << 11;
  return encodeUhfFrame(0x02, UHF_CMD_INVENTORY, [rssi & 0xff, pc >> 8, pc & 0xff, ...epc, crc >> 8, crc & 0xff]);
}

/** Interprets a checked frame: a tag read, or a coded RFID_READER_MESSAGE for anything else (errors, replies). */
export function decodeUhfFrame(f: UhfFrame): UhfTagRead {
  const p = f.params;
  if (f.type === 0x02 && f.command === UHF_CMD_INVENTORY && p.length >= 5) {
    const pc = (p[1]! << 8) | p[2]!;
    const epcBytes = (pc >> 11) * 2;
    if (p.length !== 1 + 2 + epcBytes + 2) {
      throw new RfidError(RfidErrorCode.ReaderMessage, `inventory notice: PC announces ${epcBytes} EPC bytes, parameters hold ${p.length - 5}`, { pc });
    }
    const epc = Buffer.from(p.subarray(3, 3 + epcBytes)).toString('hex').toUpperCase();
    const rssi = p[0]! >= 0x80 ? p[0]! - 0x100 : p[0]!;
    return { epc, pc, rssi, crc: (p[3 + epcBytes]! << 8) | p[4 + epcBytes]! };
  }
  // Response 0xFF carries an error code (0x15: no tag in the field during a single inventory).
  const detail = f.command === 0xff && p.length >= 1 ? `reader error 0x${p[0]!.toString(16).padStart(2, '0')}` : `type ${f.type} command 0x${f.command.toString(16)}`;
  throw new RfidError(RfidErrorCode.ReaderMessage, `not a tag read: ${detail}`, { type: f.type, command: f.command, ...(f.command === 0xff && p.length >= 1 ? { readerError: p[0] } : {}) });
}

export type UhfEvent = { ok: true; read: UhfTagRead; frame: Uint8Array } | { ok: false; error: RfidError; bytes: Uint8Array };

/** Finds 0xBB ... 0x7E frames, checks length, end byte and checksum, resyncs after garbage and reports every skipped byte. */
export class UhfR200Framer {
  private buf: number[] = [];
  private run: number[] = [];

  /** Bytes held while a frame may still complete. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): UhfEvent[] {
    for (const b of chunk) this.buf.push(b);
    return this.scan(false);
  }

  flush(): UhfEvent[] {
    const out = this.scan(true);
    this.run.push(...this.buf);
    this.buf = [];
    this.emitRun(out);
    return out;
  }

  private scan(final: boolean): UhfEvent[] {
    const out: UhfEvent[] = [];
    const b = this.buf;
    let pos = 0;
    while (pos < b.length) {
      if (b[pos] !== UHF_HEADER) {
        this.run.push(b[pos]!);
        pos++;
        continue;
      }
      if (b.length - pos < 5) {
        if (final) {
          this.run.push(b[pos]!);
          pos++;
          continue;
        }
        break;
      }
      const pl = (b[pos + 3]! << 8) | b[pos + 4]!;
      const total = 7 + pl;
      if (b[pos + 1]! > 0x02 || pl > UHF_MAX_PARAMS) {
        this.run.push(b[pos]!);
        pos++;
        continue;
      }
      if (b.length - pos < total) {
        if (final) {
          this.run.push(b[pos]!);
          pos++;
          continue;
        }
        break;
      }
      if (b[pos + total - 1] !== UHF_END) {
        this.run.push(b[pos]!);
        pos++;
        continue;
      }
      const frame = Uint8Array.from(b.slice(pos, pos + total));
      this.emitRun(out);
      pos += total;
      const sum = uhfChecksum(frame, 1, total - 2);
      if (sum !== frame[total - 2]) {
        out.push({ ok: false, error: new RfidError(RfidErrorCode.BadChecksum, `UHF frame checksum ${frame[total - 2]} but sum is ${sum}`, {}), bytes: frame });
        continue;
      }
      try {
        out.push({ ok: true, read: decodeUhfFrame({ type: frame[1]!, command: frame[2]!, params: frame.subarray(5, total - 2) }), frame });
      } catch (e) {
        out.push({ ok: false, error: asRfidError(e), bytes: frame });
      }
    }
    this.buf = b.slice(pos);
    this.emitRun(out);
    return out;
  }

  private emitRun(out: UhfEvent[]): void {
    if (this.run.length === 0) return;
    const bytes = Uint8Array.from(this.run);
    this.run = [];
    out.push({ ok: false, error: new RfidError(RfidErrorCode.Discarded, `${bytes.length} bytes outside any UHF frame`, { count: bytes.length }), bytes });
  }
}

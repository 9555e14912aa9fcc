import type { StreamDecoder, DecodeEvent } from '../../core/stream-decoder.ts';
import { createNmeaStreamDecoder, type NmeaDecodeCode } from '../../drivers/nmea/stream-decoder.ts';
import { createAisStreamDecoder } from '../../drivers/ais/stream-decoder.ts';
import { createModbusStreamDecoder } from '../../drivers/modbus/sniffer.ts';
import { createEm4100StreamDecoder, createUhfR200StreamDecoder } from '../../drivers/rfid/stream-decoder.ts';
import { createMcuStreamDecoder } from '../../firmware-bridge/host/frame-decoder.ts';
import type { AisErrorCode } from '../../drivers/ais/errors.ts';
import type { ModbusErrorCode } from '../../drivers/modbus/errors.ts';
import type { RfidErrorCode } from '../../drivers/rfid/errors.ts';
import type { McuFrameRejectCode } from '../../firmware-bridge/host/errors.ts';
import { numberFlag, type Parsed } from './args.ts';
import { systemClock } from '../../core/clock.ts';
import { RejectLog } from '../../core/reject-log.ts';
import type { DECODE_FLAGS } from './commands.ts';
import { CliCode, CliError } from './errors.ts';

/** What a rejected input is reported under: the union of the codecs' registries. */
type DecodeCode = NmeaDecodeCode | AisErrorCode | RfidErrorCode | ModbusErrorCode | McuFrameRejectCode;

const DECODERS: Record<string, () => StreamDecoder<DecodeCode>> = {
  nmea: () => createNmeaStreamDecoder(),
  ais: () => createAisStreamDecoder(),
  'rfid-em4100': () => createEm4100StreamDecoder(),
  'rfid-uhf-r200': () => createUhfR200StreamDecoder(),
  modbus: () => createModbusStreamDecoder(),
  mcu: () => createMcuStreamDecoder(),
};

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

/**
 * Decodes raw bytes from stdin (or a serial port) and prints one JSON object per message.
 * Rejects go to stderr with their reason, at most 20 a second; the rest are counted and one
 * `DECODE_REJECTS_SUPPRESSED` line per second says how many, by code (garbage input must not
 * print a line per byte). The exit code is 1 when anything was rejected.
 */
export async function decodeCommand({ values, positionals }: Parsed<typeof DECODE_FLAGS>): Promise<number> {
  const [codec] = positionals;
  const make = codec ? DECODERS[codec] : undefined;
  if (!make) throw new CliError(CliCode.USAGE, `place-agent decode needs a codec: ${Object.keys(DECODERS).join(', ')}`);
  const baud = numberFlag(values.baud, 'baud', 50, 4_000_000)!;
  const dec = make();
  let rejected = 0;
  const rejects = new RejectLog<DecodeCode>({
    clock: systemClock,
    intervalMs: 1000,
    detailPerInterval: 20,
    write: (l) =>
      process.stderr.write(
        JSON.stringify(l.kind === 'reject' ? { code: l.code, reason: l.message, raw: l.details.raw } : { code: CliCode.DECODE_REJECTS_SUPPRESSED, suppressed: l.suppressed, byCode: l.byCode }) + '\n',
      ),
  });
  const emit = (events: DecodeEvent<DecodeCode>[]) => {
    for (const e of events) {
      if (e.ok) process.stdout.write(JSON.stringify(e.message, jsonSafe) + '\n');
      else {
        rejected++;
        rejects.reject(e.code, e.reason, { raw: e.raw });
      }
    }
  };
  if (values.port) {
    const { SerialPort } = await import('serialport');
    const path = values.port;
    const port = new SerialPort({ path, baudRate: baud });
    await new Promise<void>((resolve, reject) => {
      port.on('data', (chunk: Buffer) => emit(dec.push(new Uint8Array(chunk))));
      port.on('error', (e: Error) => reject(new CliError(CliCode.SERIAL_OPEN_FAILED, `serial port ${path}: ${e.message}`, { path })));
      port.on('close', () => resolve());
      process.once('SIGINT', () => port.close());
    });
  } else {
    for await (const chunk of process.stdin) emit(dec.push(new Uint8Array(chunk as Buffer)));
  }
  emit(dec.flush());
  rejects.flush();
  return rejected > 0 ? 1 : 0;
}

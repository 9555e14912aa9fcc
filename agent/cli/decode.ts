import { parseArgs } from 'node:util';
import type { StreamDecoder, DecodeEvent } from '../../core/stream-decoder.ts';
import { createNmeaStreamDecoder } from '../../drivers/nmea/stream-decoder.ts';
import { createAisStreamDecoder } from '../../drivers/ais/stream-decoder.ts';
import { createModbusStreamDecoder } from '../../drivers/modbus/sniffer.ts';
import { createEm4100StreamDecoder, createUhfR200StreamDecoder } from '../../drivers/rfid/stream-decoder.ts';
import { createMcuStreamDecoder } from '../../firmware-bridge/host/frame-decoder.ts';
import { CodedError } from '../../core/coded-error.ts';

const DECODERS: Record<string, () => StreamDecoder> = {
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

/** Decodes raw bytes from stdin (or a serial port) and prints one JSON object per message; rejects go to stderr with their reason. */
export async function decodeCommand(args: string[]): Promise<number> {
  const [codec, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, baud: { type: 'string', default: '9600' } } });
  const make = codec ? DECODERS[codec] : undefined;
  if (!make) throw new CodedError('USAGE', `usage: place-agent decode <${Object.keys(DECODERS).join('|')}> [--port PATH --baud N]`);
  const dec = make();
  let rejected = 0;
  const emit = (events: DecodeEvent[]) => {
    for (const e of events) {
      if (e.ok) process.stdout.write(JSON.stringify(e.message, jsonSafe) + '\n');
      else {
        rejected++;
        process.stderr.write(JSON.stringify({ code: e.code, reason: e.reason, raw: e.raw }) + '\n');
      }
    }
  };
  if (values.port) {
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: values.port, baudRate: Number(values.baud) });
    await new Promise<void>((resolve, reject) => {
      port.on('data', (chunk: Buffer) => emit(dec.push(new Uint8Array(chunk))));
      port.on('error', reject);
      port.on('close', () => resolve());
      process.once('SIGINT', () => port.close());
    });
  } else {
    for await (const chunk of process.stdin) emit(dec.push(new Uint8Array(chunk as Buffer)));
  }
  emit(dec.flush());
  return rejected > 0 ? 1 : 0;
}

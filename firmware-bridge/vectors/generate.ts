/**
 * Writes vectors/frames.json (one vector per line, so the C test can read it without a JSON
 * library) and the byte-level examples in PROTOCOL.md, from the TypeScript encoder. Both
 * the C tests and the TS tests then check every vector, so a drift on either side fails.
 * Run: npx tsx firmware-bridge/vectors/generate.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cobsEncode } from '../host/cobs.ts';
import { crc16 } from '../host/crc16.ts';
import { encodeFrameBytes, encodeWire } from '../host/frame.ts';
import type { McuFrame } from '../host/message.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface ValidVector {
  name: string;
  note: string;
  hex: string;
  decoded: McuFrame;
}
export interface ErrorVector {
  name: string;
  note: string;
  hex: string;
  error: string;
}

const frames: Array<[string, string, McuFrame]> = [
  ['hello', 'host → MCU: host speaks versions 1..1', { version: 1, type: 'HELLO', seq: 1, body: { minVersion: 1, maxVersion: 1 } }],
  [
    'hello_reply',
    'MCU → host: firmware 1.0.0, device 0x00C0FFEE, three channels (door/bool, range/mm, mcu/°C)',
    {
      version: 1,
      type: 'HELLO_REPLY',
      seq: 0,
      body: {
        reSeq: 1,
        version: 1,
        fwMajor: 1,
        fwMinor: 0,
        fwPatch: 0,
        deviceId: 0x00c0ffee,
        bootId: 0x12345678,
        capabilities: 0x000f,
        heartbeatMs: 200,
        tickHz: 1000,
        channels: [
          { id: 0, modality: 1, unit: 1 },
          { id: 1, modality: 2, unit: 2 },
          { id: 2, modality: 0, unit: 3 },
        ],
      },
    },
  ],
  ['heartbeat', 'MCU → host: session up, 2 reports queued', { version: 1, type: 'HEARTBEAT', seq: 7, body: { tick: 123456, flags: 1, queued: 2, dropped: 0, rxErrors: 3 } }],
  [
    'sensor_report_range',
    'MCU → host: channel 1 reads 1523 mm at tick 0x0001E240',
    { version: 1, type: 'SENSOR_REPORT', seq: 8, body: { channel: 1, status: 0, unit: 2, exponent: 0, value: 1523, tick: 123456 } },
  ],
  [
    'sensor_report_temp_negative',
    'MCU → host: channel 2 reads -5.25 °C (raw -525, exponent -2), status FAULT',
    { version: 1, type: 'SENSOR_REPORT', seq: 0xff00, body: { channel: 2, status: 2, unit: 3, exponent: -2, value: -525, tick: 0xfffffffe } },
  ],
  ['config_set', 'host → MCU: heartbeat every 500 ms', { version: 1, type: 'CONFIG_SET', seq: 2, body: { key: 1, value: 500 } }],
  ['config_get', 'host → MCU: read the report interval', { version: 1, type: 'CONFIG_GET', seq: 3, body: { key: 2 } }],
  ['config_value', 'MCU → host: report interval is 100 ms', { version: 1, type: 'CONFIG_VALUE', seq: 9, body: { reSeq: 3, key: 2, value: 100 } }],
  ['ack', 'either way: ACK of seq 8', { version: 1, type: 'ACK', seq: 4, body: { reSeq: 8 } }],
  ['nak', 'MCU → host: NAK of seq 2, BAD_VALUE', { version: 1, type: 'NAK', seq: 10, body: { reSeq: 2, reason: 4 } }],
  ['log', 'MCU → host: a warning line', { version: 1, type: 'LOG', seq: 11, body: { level: 2, tick: 5000, text: 'sensor 1 slow' } }],
  ['time_sync', 'host → MCU: request the current tick', { version: 1, type: 'TIME_SYNC', seq: 5, body: {} }],
  ['time_sync_reply', 'MCU → host: tick 0x00BC614E when seq 5 was handled', { version: 1, type: 'TIME_SYNC_REPLY', seq: 12, body: { reSeq: 5, tick: 12345678 } }],
  ['reset', 'host → MCU: restart', { version: 1, type: 'RESET', seq: 6, body: {} }],
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function wireOf(frameBytes: Uint8Array): Uint8Array {
  const block = cobsEncode(frameBytes);
  const out = new Uint8Array(block.length + 1);
  out.set(block);
  return out;
}

function withCrc(headerAndPayload: number[]): Uint8Array {
  const b = Uint8Array.from(headerAndPayload);
  const c = crc16(b);
  return Uint8Array.from([...b, c >> 8, c & 0xff]);
}

export function buildVectors(): { valid: ValidVector[]; errors: ErrorVector[] } {
  const valid = frames.map(([name, note, f]) => ({ name, note, hex: hex(encodeWire(f)), decoded: f }));
  const ack = encodeFrameBytes({ version: 1, type: 'ACK', seq: 4, body: { reSeq: 8 } });
  const badCrc = ack.slice();
  badCrc[badCrc.length - 1]! ^= 0x01;
  const errors: ErrorVector[] = [
    { name: 'bad_crc', note: 'the ACK vector with the last CRC bit flipped', hex: hex(wireOf(badCrc)), error: 'CRC' },
    { name: 'unknown_type', note: 'type 0x7E with a valid CRC: counted and ignored', hex: hex(wireOf(withCrc([1, 0x7e, 0x09, 0x00, 0xaa, 0xbb]))), error: 'UNKNOWN_TYPE' },
    { name: 'future_version', note: 'header version 2: not spoken by a v1 receiver', hex: hex(wireOf(withCrc([2, 0x08, 0x01, 0x00, 0x08, 0x00]))), error: 'VERSION' },
    { name: 'short_payload', note: 'ACK with a 1-byte payload', hex: hex(wireOf(withCrc([1, 0x08, 0x01, 0x00, 0x08]))), error: 'PAYLOAD' },
    { name: 'short_frame', note: 'three bytes: shorter than header + CRC', hex: hex(wireOf(Uint8Array.from([1, 8, 1]))), error: 'SHORT' },
    { name: 'bad_cobs', note: 'COBS code 0x05 announces more bytes than the block holds', hex: '05112200', error: 'COBS' },
  ];
  return { valid, errors };
}

function render(valid: ValidVector[], errors: ErrorVector[]): string {
  const lines = [...valid, ...errors].map((v) => '  ' + JSON.stringify(v));
  return '[\n' + lines.join(',\n') + '\n]\n';
}

function annotate(f: McuFrame): string {
  const raw = encodeFrameBytes(f);
  const h = hex(raw);
  const header = h.slice(0, 8);
  const payload = h.slice(8, h.length - 4);
  const crc = h.slice(h.length - 4);
  return `header ${header.match(/../g)!.join(' ')} | payload ${payload ? payload.match(/../g)!.join(' ') : '(empty)'} | crc ${crc.match(/../g)!.join(' ')}`;
}

function examplesMarkdown(valid: ValidVector[], errors: ErrorVector[]): string {
  const out: string[] = [];
  for (const v of valid) {
    out.push(`**${v.decoded.type}** (\`${v.name}\`): ${v.note}`, '', '```');
    out.push(`decoded  ${JSON.stringify(v.decoded.body)}  (version ${v.decoded.version}, seq ${v.decoded.seq})`);
    out.push(`frame    ${annotate(v.decoded)}`);
    out.push(`wire     ${v.hex.match(/../g)!.join(' ')}`, '```', '');
  }
  out.push('Rejected frames (each is counted under its code and discarded):', '');
  out.push('| vector | wire | result | why |', '|---|---|---|---|');
  for (const e of errors) out.push(`| \`${e.name}\` | \`${e.hex.match(/../g)!.join(' ')}\` | ${e.error} | ${e.note} |`);
  return out.join('\n');
}

const BEGIN = '<!-- BEGIN GENERATED EXAMPLES (npx tsx firmware-bridge/vectors/generate.ts) -->';
const END = '<!-- END GENERATED EXAMPLES -->';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { valid, errors } = buildVectors();
  writeFileSync(join(here, 'frames.json'), render(valid, errors));
  const protoPath = join(here, '..', 'PROTOCOL.md');
  const proto = readFileSync(protoPath, 'utf8');
  const a = proto.indexOf(BEGIN);
  const b = proto.indexOf(END);
  if (a >= 0 && b > a) {
    writeFileSync(protoPath, proto.slice(0, a + BEGIN.length) + '\n\n' + examplesMarkdown(valid, errors) + '\n\n' + proto.slice(b));
  }
  process.stdout.write(`wrote ${valid.length + errors.length} vectors\n`);
}

/**
 * Messages of protocol version 1 (PROTOCOL.md §4-5): pure encode/decode of the payload that
 * follows the 4-byte header. Integers are little-endian. Field names are those used in
 * vectors/*.json; firmware/test/msg_json.c prints the same names in the same order.
 */
export const MessageTypeCode = {
  HELLO: 0x01,
  HELLO_REPLY: 0x02,
  HEARTBEAT: 0x03,
  SENSOR_REPORT: 0x04,
  CONFIG_SET: 0x05,
  CONFIG_GET: 0x06,
  CONFIG_VALUE: 0x07,
  ACK: 0x08,
  NAK: 0x09,
  LOG: 0x0a,
  TIME_SYNC: 0x0b,
  TIME_SYNC_REPLY: 0x0c,
  RESET: 0x0d,
} as const;
export type MessageType = keyof typeof MessageTypeCode;
const TYPE_BY_CODE = new Map<number, MessageType>(Object.entries(MessageTypeCode).map(([k, v]) => [v, k as MessageType]));
export function messageTypeOf(code: number): MessageType | undefined {
  return TYPE_BY_CODE.get(code);
}

export const NakReason = { BAD_VERSION: 1, UNKNOWN_TYPE: 2, BAD_KEY: 3, BAD_VALUE: 4, BAD_PAYLOAD: 5, NO_SESSION: 6 } as const;
export const ReportStatus = { OK: 0, STALE: 1, FAULT: 2, OUT_OF_RANGE: 3 } as const;
export const ChannelModality = { MCU: 0, DOOR: 1, RANGE: 2, METER: 3 } as const;
export const ChannelUnit = { NONE: 0, BOOL: 1, MM: 2, DEGC: 3, W: 4, PCT: 5 } as const;
export const ConfigKey = { HEARTBEAT_MS: 1, REPORT_MS: 2, CHANNEL_MASK: 3 } as const;
export const Capability = { TIME_SYNC: 0x0001, CONFIG: 0x0002, RESET: 0x0004, LOG: 0x0008 } as const;
export const HEARTBEAT_FLAG_SESSION = 0x01;
export const MAX_CHANNELS = 8;
export const MAX_LOG_TEXT = 64;
export const MAX_PAYLOAD = 96;

export interface ChannelDescriptor {
  id: number;
  modality: number;
  unit: number;
}

export interface MessageBodies {
  HELLO: { minVersion: number; maxVersion: number };
  HELLO_REPLY: {
    reSeq: number;
    version: number;
    fwMajor: number;
    fwMinor: number;
    fwPatch: number;
    deviceId: number;
    bootId: number;
    capabilities: number;
    heartbeatMs: number;
    tickHz: number;
    channels: ChannelDescriptor[];
  };
  HEARTBEAT: { tick: number; flags: number; queued: number; dropped: number; rxErrors: number };
  SENSOR_REPORT: { channel: number; status: number; unit: number; exponent: number; value: number; tick: number };
  CONFIG_SET: { key: number; value: number };
  CONFIG_GET: { key: number };
  CONFIG_VALUE: { reSeq: number; key: number; value: number };
  ACK: { reSeq: number };
  NAK: { reSeq: number; reason: number };
  LOG: { level: number; tick: number; text: string };
  TIME_SYNC: Record<string, never>;
  TIME_SYNC_REPLY: { reSeq: number; tick: number };
  RESET: Record<string, never>;
}

export type McuFrame = { [K in MessageType]: { version: number; type: K; seq: number; body: MessageBodies[K] } }[MessageType];
export type FrameOf<K extends MessageType> = Extract<McuFrame, { type: K }>;

/** Thrown by encodeBody for values the wire cannot carry; callers turn it into a coded error. */
export class BodyRangeError extends RangeError {}

class Writer {
  private readonly buf = new Uint8Array(MAX_PAYLOAD);
  private readonly view = new DataView(this.buf.buffer);
  private n = 0;
  private room(k: number): void {
    if (this.n + k > MAX_PAYLOAD) throw new BodyRangeError(`payload exceeds ${MAX_PAYLOAD} bytes`);
  }
  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new BodyRangeError(`u8 out of range: ${v}`);
    this.room(1);
    this.buf[this.n++] = v;
    return this;
  }
  i8(v: number): this {
    if (!Number.isInteger(v) || v < -128 || v > 127) throw new BodyRangeError(`i8 out of range: ${v}`);
    return this.u8(v & 0xff);
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new BodyRangeError(`u16 out of range: ${v}`);
    this.room(2);
    this.view.setUint16(this.n, v, true);
    this.n += 2;
    return this;
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BodyRangeError(`u32 out of range: ${v}`);
    this.room(4);
    this.view.setUint32(this.n, v, true);
    this.n += 4;
    return this;
  }
  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new BodyRangeError(`i32 out of range: ${v}`);
    this.room(4);
    this.view.setInt32(this.n, v, true);
    this.n += 4;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export function encodeBody(frame: McuFrame): Uint8Array {
  const w = new Writer();
  switch (frame.type) {
    case 'HELLO':
      return w.u8(frame.body.minVersion).u8(frame.body.maxVersion).done();
    case 'HELLO_REPLY': {
      const b = frame.body;
      if (b.channels.length > MAX_CHANNELS) throw new BodyRangeError(`at most ${MAX_CHANNELS} channels`);
      w.u16(b.reSeq).u8(b.version).u8(b.fwMajor).u8(b.fwMinor).u8(b.fwPatch).u32(b.deviceId).u32(b.bootId);
      w.u16(b.capabilities).u16(b.heartbeatMs).u32(b.tickHz).u8(b.channels.length);
      for (const c of b.channels) w.u8(c.id).u8(c.modality).u8(c.unit);
      return w.done();
    }
    case 'HEARTBEAT': {
      const b = frame.body;
      return w.u32(b.tick).u8(b.flags).u8(b.queued).u16(b.dropped).u16(b.rxErrors).done();
    }
    case 'SENSOR_REPORT': {
      const b = frame.body;
      return w.u8(b.channel).u8(b.status).u8(b.unit).i8(b.exponent).i32(b.value).u32(b.tick).done();
    }
    case 'CONFIG_SET':
      return w.u8(frame.body.key).i32(frame.body.value).done();
    case 'CONFIG_GET':
      return w.u8(frame.body.key).done();
    case 'CONFIG_VALUE':
      return w.u16(frame.body.reSeq).u8(frame.body.key).i32(frame.body.value).done();
    case 'ACK':
      return w.u16(frame.body.reSeq).done();
    case 'NAK':
      return w.u16(frame.body.reSeq).u8(frame.body.reason).done();
    case 'LOG': {
      const text = new TextEncoder().encode(frame.body.text);
      if (text.length > MAX_LOG_TEXT) throw new BodyRangeError(`log text exceeds ${MAX_LOG_TEXT} bytes`);
      return w.u8(frame.body.level).u32(frame.body.tick).bytes(text).done();
    }
    case 'TIME_SYNC':
    case 'RESET':
      return w.done();
    case 'TIME_SYNC_REPLY':
      return w.u16(frame.body.reSeq).u32(frame.body.tick).done();
  }
}

/**
 * Decodes a payload of a known type; undefined when it is too short or inconsistent.
 * Bytes past the fields a type defines are ignored: a later minor revision may append fields
 * (PROTOCOL.md §6).
 */
export function decodeBody(type: MessageType, p: Uint8Array): MessageBodies[MessageType] | undefined {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const n = p.length;
  const u8 = (o: number): number => p[o]!;
  const u16 = (o: number): number => v.getUint16(o, true);
  const u32 = (o: number): number => v.getUint32(o, true);
  const i32 = (o: number): number => v.getInt32(o, true);
  switch (type) {
    case 'HELLO':
      return n < 2 ? undefined : { minVersion: u8(0), maxVersion: u8(1) };
    case 'HELLO_REPLY': {
      if (n < 23) return undefined;
      const count = u8(22);
      if (count > MAX_CHANNELS || n < 23 + 3 * count) return undefined;
      const channels: ChannelDescriptor[] = [];
      for (let i = 0; i < count; i++) channels.push({ id: u8(23 + 3 * i), modality: u8(24 + 3 * i), unit: u8(25 + 3 * i) });
      return {
        reSeq: u16(0),
        version: u8(2),
        fwMajor: u8(3),
        fwMinor: u8(4),
        fwPatch: u8(5),
        deviceId: u32(6),
        bootId: u32(10),
        capabilities: u16(14),
        heartbeatMs: u16(16),
        tickHz: u32(18),
        channels,
      };
    }
    case 'HEARTBEAT':
      return n < 10 ? undefined : { tick: u32(0), flags: u8(4), queued: u8(5), dropped: u16(6), rxErrors: u16(8) };
    case 'SENSOR_REPORT':
      return n < 12
        ? undefined
        : { channel: u8(0), status: u8(1), unit: u8(2), exponent: v.getInt8(3), value: i32(4), tick: u32(8) };
    case 'CONFIG_SET':
      return n < 5 ? undefined : { key: u8(0), value: i32(1) };
    case 'CONFIG_GET':
      return n < 1 ? undefined : { key: u8(0) };
    case 'CONFIG_VALUE':
      return n < 7 ? undefined : { reSeq: u16(0), key: u8(2), value: i32(3) };
    case 'ACK':
      return n < 2 ? undefined : { reSeq: u16(0) };
    case 'NAK':
      return n < 3 ? undefined : { reSeq: u16(0), reason: u8(2) };
    case 'LOG':
      if (n < 5 || n - 5 > MAX_LOG_TEXT) return undefined;
      return { level: u8(0), tick: u32(1), text: new TextDecoder('utf-8', { fatal: false }).decode(p.subarray(5)) };
    case 'TIME_SYNC':
    case 'RESET':
      return {};
    case 'TIME_SYNC_REPLY':
      return n < 6 ? undefined : { reSeq: u16(0), tick: u32(2) };
  }
}

import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ModbusError, ModbusErrorCode } from './errors.ts';
import { MAX_READ_REGISTERS, type RegisterFunction } from './frames.ts';

const strict = { additionalProperties: false } as const;

/** One register (or register pair) mapped to a reading. The schema is both the type and the validator. */
export const RegisterPointSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    function: Type.Union([Type.Literal(3), Type.Literal(4)], { description: '3 = holding, 4 = input registers' }),
    address: Type.Integer({ minimum: 0, maximum: 0xffff, description: 'zero-based PDU address (register 40001 is holding address 0)' }),
    type: Type.Union([Type.Literal('u16'), Type.Literal('i16'), Type.Literal('u32'), Type.Literal('i32'), Type.Literal('f32')]),
    /** For 32-bit values: 'big' = high word at the lower address (Modbus convention), 'little' = swapped words. */
    wordOrder: Type.Optional(Type.Union([Type.Literal('big'), Type.Literal('little')])),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    /** Reports `subtractFrom - value` instead: e.g. a connection limit minus measured power gives available power. */
    subtractFrom: Type.Optional(Type.Number()),
    unit: Type.String(),
    modality: Type.Union([Type.Literal('range'), Type.Literal('meter'), Type.Literal('door'), Type.Literal('mcu')]),
    /** Values outside [min, max] (after scaling) are reported with quality.ok = false: sensors use out-of-range codes for "no echo". */
    valid: Type.Optional(Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }, strict)),
  },
  strict,
);
export type RegisterPoint = Static<typeof RegisterPointSchema>;

export const DeviceProfileSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    points: Type.Array(RegisterPointSchema, { minItems: 1 }),
  },
  strict,
);
export type DeviceProfile = Static<typeof DeviceProfileSchema>;

/** Validates a profile document; the error names the first offending field. */
export function parseDeviceProfile(doc: unknown): DeviceProfile {
  if (!Value.Check(DeviceProfileSchema, doc)) {
    const first = Value.Errors(DeviceProfileSchema, doc).First();
    const field = first?.path || '/';
    throw new ModbusError(ModbusErrorCode.ProfileInvalid, `device profile: ${field}: ${first?.message ?? 'invalid'}`, { field });
  }
  const names = new Set<string>();
  for (const p of doc.points) {
    if (names.has(p.name)) throw new ModbusError(ModbusErrorCode.ProfileInvalid, `device profile: duplicate point name ${p.name}`, { field: `/points/${p.name}` });
    names.add(p.name);
    if (p.address + registerCount(p) > 0x10000) throw new ModbusError(ModbusErrorCode.ProfileInvalid, `device profile: ${p.name} runs past register 0xFFFF`, { field: `/points/${p.name}/address` });
  }
  return doc;
}

export const BUILTIN_PROFILES = ['ultrasonic-range', 'energy-meter'] as const;

/** Example profiles shipped as JSON data beside this file (`profiles/<name>.json`). */
export function loadBuiltinProfile(name: (typeof BUILTIN_PROFILES)[number]): DeviceProfile {
  const url = new URL(`./profiles/${name}.json`, import.meta.url);
  return parseDeviceProfile(JSON.parse(readFileSync(url, 'utf8')));
}

export function registerCount(p: RegisterPoint): 1 | 2 {
  return p.type === 'u16' || p.type === 'i16' ? 1 : 2;
}

export interface ReadBlock {
  fn: RegisterFunction;
  address: number;
  count: number;
  points: { point: RegisterPoint; offset: number }[];
}

/** Groups points into as few reads as possible: contiguous or overlapping registers of one function, at most 125 per read. */
export function planReads(profile: DeviceProfile): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of [3, 4] as const) {
    const pts = profile.points.filter((p) => p.function === fn).sort((a, b) => a.address - b.address);
    let cur: ReadBlock | undefined;
    for (const p of pts) {
      const end = p.address + registerCount(p);
      if (cur && p.address <= cur.address + cur.count && end - cur.address <= MAX_READ_REGISTERS) {
        cur.count = Math.max(cur.count, end - cur.address);
        cur.points.push({ point: p, offset: p.address - cur.address });
      } else {
        cur = { fn, address: p.address, count: registerCount(p), points: [{ point: p, offset: 0 }] };
        blocks.push(cur);
      }
    }
  }
  return blocks;
}

export interface PointValue {
  name: string;
  value: number;
  unit: string;
  raw: number;
  ok: boolean;
}

/** Decodes one point from the registers of its block and applies scale, offset and validity. */
export function decodePoint(regs: Uint16Array, offset: number, p: RegisterPoint): PointValue {
  const w0 = regs[offset] ?? 0;
  const w1 = regs[offset + 1] ?? 0;
  let raw: number;
  switch (p.type) {
    case 'u16':
      raw = w0;
      break;
    case 'i16':
      raw = w0 >= 0x8000 ? w0 - 0x10000 : w0;
      break;
    default: {
      const [hi, lo] = (p.wordOrder ?? 'big') === 'big' ? [w0, w1] : [w1, w0];
      const dv = new DataView(new ArrayBuffer(4));
      dv.setUint16(0, hi);
      dv.setUint16(2, lo);
      raw = p.type === 'u32' ? dv.getUint32(0) : p.type === 'i32' ? dv.getInt32(0) : dv.getFloat32(0);
    }
  }
  let value = raw * (p.scale ?? 1) + (p.offset ?? 0);
  if (p.subtractFrom !== undefined) value = p.subtractFrom - value;
  const ok = Number.isFinite(value) && (p.valid?.min === undefined || value >= p.valid.min) && (p.valid?.max === undefined || value <= p.valid.max);
  return { name: p.name, value, unit: p.unit, raw, ok };
}

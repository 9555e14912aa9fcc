import { describe, expect, it } from 'vitest';
import { crc16Modbus, withCrc } from '../../../drivers/modbus/crc16.ts';
import { decodeResponse, encodeRequest } from '../../../drivers/modbus/frames.ts';
import { decodePoint, loadBuiltinProfile, parseDeviceProfile, planReads } from '../../../drivers/modbus/profile.ts';
import { createModbusStreamDecoder } from '../../../drivers/modbus/sniffer.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('CRC-16/MODBUS', () => {
  it('gives the catalogued check value 0x4B37 for "123456789"', () => {
    expect(crc16Modbus(new TextEncoder().encode('123456789'))).toBe(0x4b37);
  });
  it('matches the request example of Modbus over Serial Line V1.02 Appendix B (read 1 holding register)', () => {
    // 01 03 00 00 00 01 -> CRC 0x0A84, sent 84 0A.
    expect(Buffer.from(withCrc(hex('010300000001'))).toString('hex')).toBe('010300000001840a');
  });
});

describe('RTU frames', () => {
  it('encodes the four function codes', () => {
    expect(Buffer.from(encodeRequest({ slave: 17, fn: 3, address: 0x6b, count: 3 })).toString('hex').slice(0, 12)).toBe('1103006b0003');
    expect(Buffer.from(encodeRequest({ slave: 17, fn: 4, address: 8, count: 1 })).toString('hex').slice(0, 12)).toBe('110400080001');
    expect(Buffer.from(encodeRequest({ slave: 17, fn: 6, address: 1, count: 1, values: [3] })).toString('hex').slice(0, 12)).toBe('110600010003');
    expect(Buffer.from(encodeRequest({ slave: 17, fn: 16, address: 1, count: 2, values: [0x0a, 0x102] })).toString('hex').slice(0, 22)).toBe('11100001000204000a0102');
  });
  it('refuses requests the protocol does not allow', () => {
    expect(() => encodeRequest({ slave: 1, fn: 3, address: 0, count: 126 })).toThrow(expect.objectContaining({ code: 'MODBUS_BAD_REQUEST' }));
    expect(() => encodeRequest({ slave: 0, fn: 3, address: 0, count: 1 })).toThrow(expect.objectContaining({ code: 'MODBUS_BAD_REQUEST' }));
    expect(() => encodeRequest({ slave: 248, fn: 6, address: 0, count: 1, values: [1] })).toThrow(expect.objectContaining({ code: 'MODBUS_BAD_REQUEST' }));
  });
  it('rejects an answer from another slave or with a wrong byte count', () => {
    const req = { slave: 1, fn: 3, address: 0, count: 1 } as const;
    expect(() => decodeResponse(req, withCrc(hex('0203020001')))).toThrow(expect.objectContaining({ code: 'MODBUS_BAD_RESPONSE' }));
    expect(() => decodeResponse({ ...req, count: 2 }, withCrc(hex('01030400010002')).subarray(0, 8))).toThrow(expect.objectContaining({ code: 'MODBUS_CRC' }));
    expect([...decodeResponse(req, withCrc(hex('0103020102')))]).toEqual([0x0102]);
  });
});

describe('device profiles', () => {
  it('ship as valid data and group registers into block reads', () => {
    const meter = loadBuiltinProfile('energy-meter');
    expect(planReads(meter).map((b) => [b.fn, b.address, b.count, b.points.length])).toEqual([
      [4, 0, 2, 1],
      [4, 52, 2, 2],
      [4, 72, 2, 1],
    ]);
    const range = loadBuiltinProfile('ultrasonic-range');
    expect(planReads(range).map((b) => [b.fn, b.address, b.count])).toEqual([[3, 256, 2]]);
  });
  it('decodes word orders, signed values, scale and validity', () => {
    const f = new DataView(new ArrayBuffer(4));
    f.setFloat32(0, -12.5);
    const hi = f.getUint16(0);
    const lo = f.getUint16(2);
    const base = { name: 'x', function: 4, address: 0, unit: 'u', modality: 'meter' } as const;
    expect(decodePoint(Uint16Array.of(hi, lo), 0, { ...base, type: 'f32' }).value).toBe(-12.5);
    expect(decodePoint(Uint16Array.of(lo, hi), 0, { ...base, type: 'f32', wordOrder: 'little' }).value).toBe(-12.5);
    expect(decodePoint(Uint16Array.of(0xffff, 0xfffe), 0, { ...base, type: 'i32' }).value).toBe(-2);
    expect(decodePoint(Uint16Array.of(0x8000), 0, { ...base, type: 'i16', scale: 0.5 }).value).toBe(-16384);
    expect(decodePoint(Uint16Array.of(20000), 0, { ...base, type: 'u16', scale: 0.001, valid: { max: 15 } }).ok).toBe(false);
  });
  it('rejects a profile with a coded error naming the field', () => {
    expect(() => parseDeviceProfile({ name: 'p', points: [{ name: 'a', function: 5, address: 0, type: 'u16', unit: '', modality: 'range' }] })).toThrow(
      expect.objectContaining({ code: 'MODBUS_PROFILE_INVALID', details: { field: '/points/0/function' } }),
    );
    expect(() => parseDeviceProfile({ name: 'p', points: [{ name: 'a', function: 3, address: 0, type: 'u16', unit: '', modality: 'range', extra: 1 }] })).toThrow(
      expect.objectContaining({ code: 'MODBUS_PROFILE_INVALID' }),
    );
  });
});

describe('sniffing decoder (place-agent decode modbus)', () => {
  it('decodes a captured request/response exchange with garbage between frames, reporting the garbage', () => {
    const d = createModbusStreamDecoder();
    const req = withCrc(hex('0103006b0003'));
    const resp = withCrc(hex('010306022b00000064'));
    const exc = withCrc(hex('018302'));
    const w6 = withCrc(hex('010600010003'));
    const stream = Buffer.concat([hex('ff00'), req, resp, hex('aa'), exc, w6, w6]);
    const ev = [...d.push(stream.subarray(0, 7)), ...d.push(stream.subarray(7)), ...d.flush()];
    expect(ev.map((e) => (e.ok ? `${String(e.message.kind)}:${String(e.message.function)}` : `${e.code}:${e.raw}`))).toEqual([
      'MODBUS_DISCARDED:ff00',
      'request:3',
      'response:3',
      'MODBUS_DISCARDED:aa',
      'exception:3',
      'request:6',
      'response:6',
    ]);
    expect(ev[1]).toMatchObject({ ok: true, message: { slave: 1, address: 0x6b, count: 3 } });
    expect(ev[2]).toMatchObject({ ok: true, message: { registers: [0x022b, 0, 0x64] } });
    expect(ev[4]).toMatchObject({ ok: true, message: { exception: 2, exceptionText: 'illegal data address' } });
  });
  it('reports a truncated frame at end of input', () => {
    const d = createModbusStreamDecoder();
    const ev = [...d.push(withCrc(hex('0103006b0003')).subarray(0, 6)), ...d.flush()];
    expect(ev).toEqual([{ ok: false, code: 'MODBUS_DISCARDED', reason: '6 bytes fit no CRC-valid RTU frame', raw: '0103006b0003' }]);
  });
});

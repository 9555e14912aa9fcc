import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { decodeEm4100Frame, encodeEm4100Frame } from '../../../drivers/rfid/em4100.ts';
import { SightingDebouncer } from '../../../drivers/rfid/sightings.ts';
import { createEm4100StreamDecoder, createUhfR200StreamDecoder } from '../../../drivers/rfid/stream-decoder.ts';
import { encodeUhfFrame, encodeUhfTagNotice } from '../../../drivers/rfid/uhf-r200.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('EM4100 frames', () => {
  it('decodes an RDM6300 frame: XOR checksum, version byte and the 32-bit card number', () => {
    // 0x04 ^ 0x15 ^ 0xAB ^ 0x3C ^ 0x9E = 0x18
    const f = Uint8Array.from([0x02, ...ascii('0415AB3C9E18'), 0x03]);
    expect(f.length).toBe(14);
    expect(decodeEm4100Frame(f)).toEqual({ tag: '0415AB3C9E', version: 4, id: 0x15ab3c9e, format: 'rdm6300' });
    expect(Buffer.from(encodeEm4100Frame('0415AB3C9E', 'rdm6300')).equals(Buffer.from(f))).toBe(true);
  });
  it('decodes an ID-12LA frame (CR LF before ETX) and accepts lower-case hex', () => {
    const f = Uint8Array.from([0x02, ...ascii('0415ab3c9e18'), 0x0d, 0x0a, 0x03]);
    expect(decodeEm4100Frame(f)).toMatchObject({ tag: '0415AB3C9E', format: 'id12' });
  });
  it('rejects a wrong checksum with RFID_BAD_CHECKSUM', () => {
    expect(() => decodeEm4100Frame(encodeEm4100Frame('0415AB3C9E', 'rdm6300', { badChecksum: true }))).toThrow(
      expect.objectContaining({ code: 'RFID_BAD_CHECKSUM' }),
    );
  });
  it('resyncs after garbage (including stray STX bytes), counts every discarded byte and survives splits anywhere', () => {
    const good1 = encodeEm4100Frame('0102030405', 'rdm6300');
    const good2 = encodeEm4100Frame('A0B0C0D0E0', 'id12');
    const bad = encodeEm4100Frame('1111111111', 'rdm6300', { badChecksum: true });
    const garbage1 = Uint8Array.from([0xff, 0x02, 0x41, 0x42, 0x00]); // STX then "AB" then a non-hex byte
    const garbage2 = Uint8Array.from([0x02, 0x02]);
    const stream = Buffer.concat([garbage1, good1, bad, garbage2, good2, ascii('xyz')]);
    for (let split = 1; split < stream.length; split++) {
      const d = createEm4100StreamDecoder();
      const ev = [...d.push(stream.subarray(0, split)), ...d.push(stream.subarray(split)), ...d.flush()];
      const reads = ev.flatMap((e) => (e.ok ? [e.message.tag] : []));
      expect(reads).toEqual(['0102030405', 'A0B0C0D0E0']);
      expect(ev.filter((e) => !e.ok && e.code === 'RFID_BAD_CHECKSUM').length).toBe(1);
      const discarded = ev.reduce((n, e) => n + (!e.ok && e.code === 'RFID_DISCARDED' ? e.raw.length / 2 : 0), 0);
      expect(discarded).toBe(garbage1.length + garbage2.length + 3);
    }
  });
});

describe('UHF M100/R200 frames', () => {
  it('decodes an inventory notice: EPC from the PC length, signed RSSI in dBm', () => {
    const d = createUhfR200StreamDecoder();
    const frame = encodeUhfTagNotice('E2801160600002054C4A0A5C', -55, 0x1234);
    expect(frame[0]).toBe(0xbb);
    expect(frame.at(-1)).toBe(0x7e);
    const ev = [...d.push(Uint8Array.from([0x7e, 0x00, ...frame])), ...d.flush()];
    expect(ev[0]).toMatchObject({ ok: false, code: 'RFID_DISCARDED', raw: '7e00' });
    expect(ev[1]).toMatchObject({ ok: true, message: { epc: 'E2801160600002054C4A0A5C', rssi: -55, crc: 0x1234, pc: 0x3000 } });
  });
  it('rejects a bad checksum and reports reader errors as reader messages', () => {
    const frame = encodeUhfTagNotice('300833B2DDD9014000000000', -60);
    frame[frame.length - 2] = frame[frame.length - 2]! ^ 1;
    const err = encodeUhfFrame(0x01, 0xff, [0x15]);
    const d = createUhfR200StreamDecoder();
    const ev = [...d.push(Buffer.concat([frame, err])), ...d.flush()];
    expect(ev.map((e) => (e.ok ? 'ok' : e.code))).toEqual(['RFID_BAD_CHECKSUM', 'RFID_READER_MESSAGE']);
    expect(ev[1]!.ok ? '' : ev[1]!.reason).toMatch(/reader error 0x15/);
  });
});

describe('sighting debouncer', () => {
  it('merges repeated reads into one sighting and closes it after the hold time', () => {
    const clock = new ManualClock(1_000);
    const d = new SightingDebouncer(clock, 2_000);
    const opened = d.read({ tag: 'T1', reader: 'dock-3', rssi: -60 });
    expect(opened.opened).toMatchObject({ tag: 'T1', firstSeen: 1_000, count: 1, state: 'open' });
    clock.advance(1_500);
    expect(d.read({ tag: 'T1', reader: 'dock-3', rssi: -50 }).opened).toBeUndefined();
    clock.advance(2_000);
    expect(d.expire()).toEqual([]);
    expect(d.read({ tag: 'T1', reader: 'dock-3', rssi: -70 }).opened).toBeUndefined();
    clock.advance(2_001);
    expect(d.expire()).toEqual([{ tag: 'T1', reader: 'dock-3', firstSeen: 1_000, lastSeen: 4_500, count: 3, rssi: -50, state: 'closed' }]);
    expect(d.openSightings()).toEqual([]);
  });
  it('keeps sightings per reader and antenna apart, and reopens a tag that comes back after closing', () => {
    const clock = new ManualClock(0);
    const d = new SightingDebouncer(clock, 100);
    d.read({ tag: 'T', reader: 'r', antenna: 1 });
    expect(d.read({ tag: 'T', reader: 'r', antenna: 2 }).opened).toMatchObject({ antenna: 2 });
    clock.advance(101);
    const back = d.read({ tag: 'T', reader: 'r', antenna: 1 });
    expect(back.closed.map((s) => s.antenna)).toEqual([1, 2]);
    expect(back.opened).toMatchObject({ firstSeen: 101, count: 1 });
  });
});

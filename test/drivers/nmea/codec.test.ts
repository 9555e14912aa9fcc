import { describe, expect, it } from 'vitest';
import { encodeNmeaSentence, nmeaChecksum } from '../../../drivers/nmea/checksum.ts';
import { decodeNmeaSentence, type NmeaDecodeResult } from '../../../drivers/nmea/codec.ts';
import type { NmeaSentence } from '../../../drivers/nmea/sentence.ts';
import { logSentences, NMEA_LOGS } from './corpus.ts';

function ok(line: string): NmeaSentence {
  const r = decodeNmeaSentence(line);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.sentence;
}
function err(r: NmeaDecodeResult): string {
  return r.ok ? 'ok' : r.error.code;
}
const s = (body: string) => encodeNmeaSentence(body).trimEnd();

describe('NMEA 0183 envelope', () => {
  it('computes the §5.2.1 XOR checksum (gr8013-w.log, first RMC: *61)', () => {
    expect(nmeaChecksum('GNRMC,181141.00,A,5230.88855,N,01327.85591,E,0.031,,190615,,,A')).toBe(0x61);
  });

  it('rejects a wrong checksum with NMEA_BAD_CHECKSUM and says what it expected', () => {
    const r = decodeNmeaSentence('$GNRMC,181141.00,A,5230.88855,N,01327.85591,E,0.031,,190615,,,A*62');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('NMEA_BAD_CHECKSUM');
      expect(r.error.details).toMatchObject({ expected: '61', received: '62' });
    }
  });

  it('accepts lower-case checksum hex (gr8013-w.log GSV *7A written as *7a)', () => {
    expect(err(decodeNmeaSentence('$GPGSV,4,2,14,15,15,051,29,16,49,210,23,18,56,102,27,19,38,293,33*7a'))).toBe('ok');
  });

  it('requires a checksum unless told otherwise', () => {
    expect(err(decodeNmeaSentence('$GPZDA,112257.00,22,03,2012,,'))).toBe('NMEA_NO_CHECKSUM');
    expect(err(decodeNmeaSentence('$GPZDA,112257.00,22,03,2012,,', { requireChecksum: false }))).toBe('ok');
  });

  it.each([
    ['', 'NMEA_MALFORMED'],
    ['GPGGA,1*00', 'NMEA_MALFORMED'],
    ['$GPGGA,1*0', 'NMEA_MALFORMED'],
    ['$GPGGA,1*ZZ', 'NMEA_MALFORMED'],
    ['$GP\u0001GA,*00', 'NMEA_MALFORMED'],
    [s('G'), 'NMEA_MALFORMED'],
    [s('GPXYZ,1,2'), 'NMEA_UNSUPPORTED'],
    [s('PUBX,00,1'), 'NMEA_UNSUPPORTED'],
    [s('PGRME,1,M,2,M,3,M'), 'NMEA_UNSUPPORTED'],
    [encodeNmeaSentence('AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0', '!').trimEnd(), 'NMEA_UNSUPPORTED'],
    [s('GPGGA,1,2'), 'NMEA_TOO_FEW_FIELDS'],
    [s('GPGGA,250000,4900.0,N,00800.0,E,1,08,0.9,10,M,,,,'), 'NMEA_BAD_FIELD'],
    [s('GPGGA,120000,4900.0,N,00800.0,E,9,08,0.9,10,M,,,,'), 'NMEA_BAD_FIELD'],
    [s('GPGSA,A,4,,,,,,,,,,,,,1,1,1'), 'NMEA_BAD_FIELD'],
    [s('GPGSV,2,3,08'), 'NMEA_BAD_FIELD'],
  ])('%j → %s', (line, code) => {
    expect(err(decodeNmeaSentence(line))).toBe(code);
  });

  // A malformed minor field is left out and reported; the sentence and its other fields stay.
  it.each([
    [s('GPGGA,120000,4960.0,N,00800.0,E,1,08,0.9,10,M,,,,'), 'lat', 'lat'],
    [s('GPGGA,120000,9100.0,N,00800.0,E,1,08,0.9,10,M,,,,'), 'lat', 'lat'],
    [s('GPGGA,120000,4900.0,X,00800.0,E,1,08,0.9,10,M,,,,'), 'lat hemisphere', 'lat'],
    [s('GPRMC,120000,A,4900.0,N,00800.0,E,1.0,10.0,310299,,'), 'date', 'date'],
    [s('GPZDA,120000,30,02,2020,,'), 'date', 'date'],
  ])('%j → kept, NMEA_BAD_FIELD names %s', (line, field, absent) => {
    const r = decodeNmeaSentence(line);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.fieldErrors.map((e) => [e.code, e.details.field])).toEqual([['NMEA_BAD_FIELD', field]]);
    expect(r.sentence.badFields).toEqual([field]);
    expect(r.sentence).not.toHaveProperty(absent);
    expect(r.sentence).toHaveProperty('timeOfDayMs', 12 * 3600 * 1000);
  });
});

describe('NMEA 0183 sentences', () => {
  it('GGA (nmea-fuzzy-cases.log: Trimble, 8-decimal minutes, RTK fixed)', () => {
    const g = ok('$GNGGA,133900.00,4134.50180323,N,09345.03586581,W,4,19,0.7,280.827,M,-31.442,M,6.0,0002*61');
    expect(g).toMatchObject({ sentence: 'GGA', talker: 'GN', quality: 'rtk-fixed', qualityCode: 4, satellitesUsed: 19, hdop: 0.7, altMslM: 280.827, geoidSepM: -31.442, dgpsAgeS: 6, dgpsStation: '0002' });
    if (g.sentence !== 'GGA') throw new Error();
    expect(g.timeOfDayMs).toBe((13 * 3600 + 39 * 60) * 1000);
    expect(g.lat).toBeCloseTo(41 + 34.50180323 / 60, 12);
    expect(g.lon).toBeCloseTo(-(93 + 45.03586581 / 60), 12);
  });

  it('RMC with magnetic variation, speed in m/s and a date', () => {
    const r = ok('$GPRMC,132820.60,A,4134.49821229,N,09345.03351845,W,3.252,92.308,180320,11.5985,E,D*1A');
    expect(r).toMatchObject({ sentence: 'RMC', status: 'A', trackDeg: 92.308, date: { year: 2020, month: 3, day: 18 }, magVarDeg: 11.5985, mode: 'D' });
    if (r.sentence !== 'RMC') throw new Error();
    expect(r.speedMps).toBeCloseTo(3.252 * 0.514444, 5);
    expect(r.timeOfDayMs).toBe((13 * 3600 + 28 * 60 + 20.6) * 1000);
  });

  it('GSA, one per constellation (gr8013-w.log)', () => {
    expect(ok('$GNGSA,A,3,71,85,69,86,77,87,70,76,,,,,1.59,0.93,1.29*12')).toMatchObject({ sentence: 'GSA', fixMode: 3, satellites: [71, 85, 69, 86, 77, 87, 70, 76], pdop: 1.59, hdop: 0.93, vdop: 1.29 });
  });

  it('GSV with an absent SNR (gr8013-w.log GLONASS)', () => {
    const g = ok('$GLGSV,3,2,10,77,28,318,33,78,03,003,,84,05,098,12,85,51,083,26*67');
    expect(g).toMatchObject({ sentence: 'GSV', talker: 'GL', totalSentences: 3, sentenceNumber: 2, satellitesInView: 10 });
    if (g.sentence !== 'GSV') throw new Error();
    expect(g.satellites).toHaveLength(4);
    expect(g.satellites[1]).toEqual({ id: 78, elevationDeg: 3, azimuthDeg: 3 });
  });

  it('GSV with an NMEA 4.11 signal id', () => {
    const g = ok(s('GAGSV,1,1,01,02,45,120,40,7'));
    expect(g).toMatchObject({ talker: 'GA', signalId: 7, satellites: [{ id: 2, elevationDeg: 45, azimuthDeg: 120, snrDbHz: 40 }] });
  });

  it('GST (polarx2.log)', () => {
    expect(ok('$GPGST,112257.00,0.387,317.719,3.872,1.791,317.563,10.659,180.746*61')).toMatchObject({ sentence: 'GST', rangeRmsM: 0.387, majorM: 317.719, minorM: 3.872, orientDeg: 1.791, latSigmaM: 317.563, lonSigmaM: 10.659, altSigmaM: 180.746 });
  });

  it('VTG in both layouts', () => {
    const v = ok('$GPVTG,339.1,T,333.5,M,0.1,N,0.1,K,A*2D');
    expect(v).toMatchObject({ sentence: 'VTG', trackDeg: 339.1, magneticTrackDeg: 333.5, mode: 'A' });
    const old = ok(s('GPVTG,054.7,034.4,005.5,010.2'));
    expect(old).toMatchObject({ trackDeg: 54.7, magneticTrackDeg: 34.4 });
    if (old.sentence !== 'VTG') throw new Error();
    expect(old.speedMps).toBeCloseTo(5.5 * 1852 / 3600, 9);
  });

  it('ZDA with and without a local zone', () => {
    expect(ok('$GNZDA,181141.00,19,06,2015,00,00*7C')).toMatchObject({ sentence: 'ZDA', date: { year: 2015, month: 6, day: 19 }, localZoneMin: 0 });
    expect(ok('$GPZDA,112257.00,22,03,2012,,*66')).not.toHaveProperty('localZoneMin');
    expect(ok(s('GPZDA,120000.00,01,01,2024,-03,30'))).toMatchObject({ localZoneMin: -210 });
  });

  it('GNS with per-constellation mode characters (polarx2.log)', () => {
    expect(ok('$GPGNS,112257.00,3844.24011,N,00908.43828,W,AN,03,10.5,,,,*57')).toMatchObject({ sentence: 'GNS', modes: ['A', 'N'], quality: 'gps', satellitesUsed: 3, hdop: 10.5 });
  });

  it('GNS with every field (built in the order of NMEA 0183 v4.11 §8.3.41: no units fields, unlike GGA)', () => {
    const g = ok(s('GNGNS,112257.00,3844.24011,N,00908.43828,W,RR,15,0.9,128.5,45.3,1.2,0031,S'));
    expect(g).toMatchObject({ sentence: 'GNS', modes: ['R', 'R'], quality: 'rtk-fixed', satellitesUsed: 15, hdop: 0.9, altMslM: 128.5, geoidSepM: 45.3, dgpsAgeS: 1.2, dgpsStation: '0031', navStatus: 'S' });
    if (g.sentence !== 'GNS') throw new Error();
    expect(g.timeOfDayMs).toBe((11 * 3600 + 22 * 60 + 57) * 1000);
    expect(g.lat).toBeCloseTo(38 + 44.24011 / 60, 12);
    expect(g.lon).toBeCloseTo(-(9 + 8.43828 / 60), 12);
  });

  it('GLL (gr8013-w.log)', () => {
    expect(ok('$GNGLL,5230.88855,N,01327.85591,E,181141.00,A,A*70')).toMatchObject({ sentence: 'GLL', status: 'A', mode: 'A', timeOfDayMs: (18 * 3600 + 11 * 60 + 41) * 1000 });
  });

  it.each(['GP', 'GN', 'GL', 'GA', 'GB', 'GQ', 'GI', 'BD'])('reports talker %s', (talker) => {
    expect(ok(s(`${talker}GLL,5230.88855,N,01327.85591,E,181141.00,A,A`)).talker).toBe(talker);
  });

  it('every sentence in the corpus logs is decoded or rejected with a code, and the results are JSON', () => {
    const codes = new Map<string, number>();
    for (const name of NMEA_LOGS) {
      for (const line of logSentences(name)) {
        const r = decodeNmeaSentence(line);
        const key = r.ok ? r.sentence.sentence : r.error.code;
        codes.set(key, (codes.get(key) ?? 0) + 1);
        if (r.ok) expect(JSON.parse(JSON.stringify(r.sentence))).toEqual(r.sentence);
      }
    }
    // Only GBS and GRS, which this codec does not decode, are rejected; nothing is malformed.
    expect([...codes.keys()].filter((k) => k.startsWith('NMEA_'))).toEqual(['NMEA_UNSUPPORTED']);
    for (const f of ['GGA', 'RMC', 'GSA', 'GSV', 'GST', 'VTG', 'ZDA', 'GNS', 'GLL']) expect(codes.get(f), f).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { encodeNmeaSentence, nmeaChecksum } from '../../../drivers/nmea/checksum.ts';
import { decodeNmeaSentence } from '../../../drivers/nmea/codec.ts';
import { GnssFixAccumulator, type GnssFix } from '../../../drivers/nmea/fix-accumulator.ts';
import { gnssReadingFromFix } from '../../../drivers/nmea/gnss-reading.ts';
import type { NmeaSentence } from '../../../drivers/nmea/sentence.ts';

// Sentences written for these tests in the shape of the receivers named in issue 14; the
// checksums are computed (NMEA 0183 §5.2.1), never copied.
const line = (body: string): string => encodeNmeaSentence(body).trimEnd();
const HOST = Date.parse('2026-03-01T12:00:05Z');

function decoded(body: string): { sentence: NmeaSentence; bad: Array<[string, unknown]> } {
  const r = decodeNmeaSentence(line(body));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return { sentence: r.sentence, bad: r.fieldErrors.map((e) => [e.code, e.details.field]) };
}

function fixes(bodies: string[]): GnssFix[] {
  const acc = new GnssFixAccumulator({ clock: new ManualClock(HOST) });
  const out: GnssFix[] = [];
  for (const b of bodies) {
    const f = acc.push(decoded(b).sentence);
    if (f) out.push(f);
  }
  const last = acc.flush();
  if (last) out.push(last);
  return out;
}

describe('a malformed minor field is left out, the rest of the sentence kept', () => {
  it('checksums in these tests are real: a one-character change is NMEA_BAD_CHECKSUM', () => {
    const body = 'GPRMC,120000.00,A,4900.000,N,00800.000,E,5.0,45.0,010326,3.0,X,A';
    const good = `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`;
    expect(decodeNmeaSentence(good).ok).toBe(true);
    const r = decodeNmeaSentence(good.replace('5.0', '6.0'));
    expect(r.ok ? 'ok' : r.error.code).toBe('NMEA_BAD_CHECKSUM');
  });

  it('RMC whose magnetic-variation direction is neither E nor W keeps its date, speed and track', () => {
    const { sentence, bad } = decoded('GPRMC,120000.00,A,4900.000,N,00800.000,E,5.0,45.0,010326,3.0,X,A');
    expect(bad).toEqual([['NMEA_BAD_FIELD', 'variation direction']]);
    expect(sentence).toMatchObject({ sentence: 'RMC', status: 'A', lat: 49, lon: 8, trackDeg: 45, date: { year: 2026, month: 3, day: 1 }, mode: 'A' });
    if (sentence.sentence !== 'RMC') throw new Error();
    expect(sentence.speedMps).toBeCloseTo((5 * 1852) / 3600, 9);
    // A variation whose sign is unknown is not reported at all.
    expect(sentence).not.toHaveProperty('magVarDeg');
    expect(sentence.badFields).toEqual(['variation direction']);
  });

  it('GSA whose NMEA 4.11 system-id field is not an integer keeps its DOPs and used satellites', () => {
    const { sentence, bad } = decoded('GNGSA,A,3,05,13,15,18,20,,,,,,,,1.61,0.92,1.32,G');
    expect(bad).toEqual([['NMEA_BAD_FIELD', 'system id']]);
    expect(sentence).toMatchObject({ sentence: 'GSA', fixMode: 3, satellites: [5, 13, 15, 18, 20], pdop: 1.61, hdop: 0.92, vdop: 1.32 });
    expect(sentence).not.toHaveProperty('systemId');
  });

  it('RMC with an unparseable date keeps its position, speed and track', () => {
    const { sentence, bad } = decoded('GNRMC,120000.00,A,5330.000,N,00956.000,E,10.0,270.0,321326,,,D');
    expect(bad).toEqual([['NMEA_BAD_FIELD', 'date']]);
    expect(sentence).toMatchObject({ lat: 53.5, lon: 9 + 56 / 60, trackDeg: 270, mode: 'D' });
    expect(sentence).not.toHaveProperty('date');
    // The epoch still gives a usable position fix; only the date is missing from it.
    const [f] = fixes(['GNRMC,120000.00,A,5330.000,N,00956.000,E,10.0,270.0,321326,,,D']);
    expect(f).toMatchObject({ valid: true, fixMode: '2d', lat: 53.5, trackDeg: 270 });
    expect(f).not.toHaveProperty('date');
  });

  it('a malformed key field still rejects the sentence (time decides the epoch)', () => {
    const r = decodeNmeaSentence(line('GPRMC,126000.00,A,4900.000,N,00800.000,E,5.0,45.0,010326,,,A'));
    expect(r.ok ? 'ok' : [r.error.code, r.error.details.field]).toEqual(['NMEA_BAD_FIELD', 'time']);
  });

  it('several bad fields are each reported by name', () => {
    const { bad } = decoded('GPGGA,120000.00,4900.000,N,00800.000,E,1,x8,0.9,1O.0,M,,,,');
    expect(bad).toEqual([
      ['NMEA_BAD_FIELD', 'satellites'],
      ['NMEA_BAD_FIELD', 'altitude'],
    ]);
  });
});

describe('fix mode from GGA', () => {
  it('quality 1 with 0 satellites is no fix, not a 3D fix', () => {
    const [f] = fixes(['GPGGA,120000.00,4900.000,N,00800.000,E,1,00,0.9,100.0,M,47.0,M,,']);
    expect(f).toMatchObject({ fixMode: 'none', valid: false, satellitesUsed: 0 });
    const reading = gnssReadingFromFix('gps', HOST, f!)!;
    expect(reading.quality.ok).toBe(false);
  });

  it('quality 1 with 4 satellites and altitude is still 3D', () => {
    const [f] = fixes(['GPGGA,120000.00,4900.000,N,00800.000,E,1,04,0.9,100.0,M,47.0,M,,']);
    expect(f).toMatchObject({ fixMode: '3d', valid: true, satellitesUsed: 4 });
  });
});

describe('satellites used on multi-GNSS receivers', () => {
  it('sums GSA satellites per constellation (NMEA 4.11 system ids) and ignores GGA capped at 12', () => {
    const [f] = fixes([
      'GNGGA,120000.00,4900.000,N,00800.000,E,1,12,0.6,100.0,M,47.0,M,,',
      'GNGSA,A,3,02,05,07,09,13,15,18,20,23,29,30,,1.1,0.6,0.9,1',
      'GNGSA,A,3,65,66,72,81,82,88,,,,,,,1.1,0.6,0.9,2',
      // Galileo E05 and E07 share numbers with GPS G05 and G07: different satellites.
      'GNGSA,A,3,05,07,11,12,,,,,,,,,1.1,0.6,0.9,3',
      'GNGSA,A,3,19,20,21,,,,,,,,,,1.1,0.6,0.9,4',
    ]);
    expect(f!.satellitesUsed).toBe(11 + 6 + 4 + 3);
    expect(f!.satellitesUsedBySystem).toEqual({ 1: 11, 2: 6, 3: 4, 4: 3 });
  });

  it('reads a GSA with 24 satellite slots (Navior CH-4701 shape): DOPs are the last three fields', () => {
    const { sentence, bad } = decoded('GPGSA,A,3,01,04,07,08,11,13,17,20,23,28,30,31,32,,,,,,,,,,,,2.1,1.1,1.8');
    expect(bad).toEqual([]);
    expect(sentence).toMatchObject({ fixMode: 3, pdop: 2.1, hdop: 1.1, vdop: 1.8 });
    if (sentence.sentence !== 'GSA') throw new Error();
    expect(sentence.satellites).toHaveLength(13);
  });

  it('takes the system from the talker when the GSA has no system id', () => {
    const [f] = fixes(['GPGGA,120000.00,4900.000,N,00800.000,E,1,12,0.6,100.0,M,47.0,M,,', 'GPGSA,A,3,05,07,09,,,,,,,,,,1.1,0.6,0.9', 'GAGSA,A,3,05,07,,,,,,,,,,,1.1,0.6,0.9']);
    expect(f!.satellitesUsedBySystem).toEqual({ 1: 3, 3: 2 });
    expect(f!.satellitesUsed).toBe(5);
  });

  it('a repeated GSA of the same system in one epoch does not count its satellites twice', () => {
    const [f] = fixes(['GNGGA,120000.00,4900.000,N,00800.000,E,1,08,0.6,100.0,M,47.0,M,,', 'GNGSA,A,3,05,07,09,,,,,,,,,,1.1,0.6,0.9,1', 'GNGSA,A,3,05,07,09,,,,,,,,,,1.1,0.6,0.9,1']);
    expect(f!.satellitesUsed).toBe(3);
  });

  it('without GSA, per-constellation GGA counts ($GPGGA then $GLGGA) are summed, not overwritten', () => {
    const [f] = fixes(['GPGGA,120000.00,4900.000,N,00800.000,E,1,08,0.9,100.0,M,47.0,M,,', 'GLGGA,120000.00,4900.000,N,00800.000,E,1,05,0.9,100.0,M,47.0,M,,']);
    expect(f!.satellitesUsed).toBe(13);
  });
});

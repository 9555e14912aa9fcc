import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { encodeNmeaSentence } from '../../../drivers/nmea/checksum.ts';
import { decodeNmeaSentence } from '../../../drivers/nmea/codec.ts';
import { GnssFixAccumulator, type GnssFix } from '../../../drivers/nmea/fix-accumulator.ts';
import { checkGnssTime, GPS_WEEK_ROLLOVER_MS } from '../../../drivers/nmea/gnss-time.ts';

const HOST = Date.parse('2026-03-01T12:00:05Z');

function run(bodies: string[], clock = new ManualClock(HOST)): GnssFix[] {
  const acc = new GnssFixAccumulator({ clock });
  const out: GnssFix[] = [];
  for (const b of bodies) {
    const r = decodeNmeaSentence(encodeNmeaSentence(b).trimEnd());
    if (!r.ok) throw new Error(r.error.message);
    const f = acc.push(r.sentence);
    if (f) out.push(f);
  }
  const last = acc.flush();
  if (last) out.push(last);
  return out;
}

describe('GnssFixAccumulator', () => {
  it('splits epochs on a new UTC time and merges RMC, GGA, GSA and VTG of one epoch', () => {
    const fixes = run([
      'GPRMC,120000.00,A,5330.00000,N,00956.00000,E,1.944,90.0,010326,,,A',
      'GPVTG,90.0,T,,M,1.944,N,3.6,K,A',
      'GPGGA,120000.00,5330.00000,N,00956.00000,E,1,07,1.2,15.0,M,40.0,M,,',
      'GPGSA,A,3,01,02,03,04,05,06,07,,,,,,2.0,1.2,1.6',
      'GPRMC,120001.00,A,5330.00100,N,00956.00000,E,1.944,90.0,010326,,,A',
      'GPGGA,120001.00,5330.00100,N,00956.00000,E,1,07,1.2,15.1,M,40.0,M,,',
    ]);
    expect(fixes).toHaveLength(2);
    const f = fixes[0]!;
    expect(f).toMatchObject({ valid: true, fixMode: '3d', fixQuality: 'gps', altMslM: 15, trackDeg: 90, hdop: 1.2, pdop: 2, satellitesUsed: 7, accuracySource: 'hdop' });
    expect(f.speedMps).toBeCloseTo(1.0, 3);
    // HDOP × UERE(gps = 5 m)
    expect(f.accuracyM).toBeCloseTo(6, 9);
    expect(f.gnssTime).toMatchObject({ status: 'ok', ms: Date.parse('2026-03-01T12:00:00Z') });
    expect(f.sentences).toEqual(['RMC', 'VTG', 'GGA', 'GSA']);
    expect(fixes[1]!.lat).toBeCloseTo(53.5 + 0.001 / 60, 12);
  });

  it('a receiver warning (RMC V, GGA quality 0) is never a valid fix and has no accuracy', () => {
    const [f] = run(['GPRMC,120000.00,V,5330.00000,N,00956.00000,E,,,010326,,,N', 'GPGGA,120000.00,5330.00000,N,00956.00000,E,0,00,99.9,,,,,,']);
    expect(f).toMatchObject({ valid: false, fixMode: 'none', accuracySource: 'none' });
    expect(f!.accuracyM).toBeUndefined();
  });

  it('dead reckoning (GGA quality 6) keeps its position but is not valid', () => {
    const [f] = run(['GPGGA,120000.00,5330.00000,N,00956.00000,E,6,04,2.0,15.0,M,40.0,M,,']);
    expect(f).toMatchObject({ valid: false, fixQuality: 'estimated', lat: 53.5 });
  });

  it('2D without altitude when there is no GSA (polarx2-style GGA)', () => {
    const [f] = run(['GPGGA,120000.00,5330.00000,N,00956.00000,E,1,03,10.5,,,,,,']);
    expect(f).toMatchObject({ valid: true, fixMode: '2d' });
  });

  it('carries the date into GGA-only epochs and advances it past midnight', () => {
    const fixes = run(
      ['GPRMC,235959.00,A,5330.00000,N,00956.00000,E,0,0,280226,,,A', 'GPGGA,000000.00,5330.00000,N,00956.00000,E,1,07,1.0,1,M,,,,'],
      new ManualClock(Date.parse('2026-03-01T00:00:00Z')),
    );
    expect(fixes[1]!.date).toEqual({ year: 2026, month: 3, day: 1 });
    expect(fixes[1]!.gnssTime!.status).toBe('ok');
  });

  it('a receiver 1024 weeks behind is corrected against the host clock, not believed', () => {
    const behind = new Date(Date.parse('2026-03-01T12:00:00Z') - GPS_WEEK_ROLLOVER_MS);
    const ddmmyy = `${String(behind.getUTCDate()).padStart(2, '0')}${String(behind.getUTCMonth() + 1).padStart(2, '0')}${String(behind.getUTCFullYear() % 100).padStart(2, '0')}`;
    const [f] = run([`GPRMC,120000.00,A,5330.00000,N,00956.00000,E,0,0,${ddmmyy},,,A`]);
    expect(f!.date!.year).toBe(2006);
    expect(f!.gnssTime).toMatchObject({ status: 'rollover-corrected', rolloverWeeks: 1024, ms: Date.parse('2026-03-01T12:00:00Z') });
  });
});

it('closes an epoch that never sees a time after MAX_SENTENCES_PER_EPOCH sentences', () => {
  const fixes = run(Array.from({ length: 250 }, () => 'GPGSA,A,1,,,,,,,,,,,,,99.9,99.9,99.9'));
  expect(fixes.map((f) => f.sentences.length)).toEqual([100, 100, 50]);
  expect(fixes.every((f) => !f.valid && f.fixMode === 'none')).toBe(true);
});

describe('checkGnssTime', () => {
  const host = Date.parse('2026-03-01T12:00:00Z');
  it('accepts a time close to the host', () => {
    expect(checkGnssTime(host + 500, host).status).toBe('ok');
  });
  it('corrects two rollovers (2048 weeks)', () => {
    expect(checkGnssTime(host - 2 * GPS_WEEK_ROLLOVER_MS + 1000, host)).toMatchObject({ status: 'rollover-corrected', rolloverWeeks: 2048, ms: host + 1000 });
  });
  it('flags a time far from the host that no rollover explains', () => {
    expect(checkGnssTime(host - 400 * 86_400_000, host)).toMatchObject({ status: 'implausible', ms: host - 400 * 86_400_000 });
    expect(checkGnssTime(host + 3 * 86_400_000, host).status).toBe('implausible');
  });
  it('with an unsynchronised host (1970 boot), only lifts a pre-floor date by whole rollovers', () => {
    const gnss = Date.parse('2006-07-16T12:00:00Z');
    const c = checkGnssTime(gnss, 5_000);
    expect(c.status).toBe('unverified-host');
    expect(c.ms).toBe(gnss + GPS_WEEK_ROLLOVER_MS);
    expect(checkGnssTime(host, 5_000)).toMatchObject({ status: 'unverified-host', ms: host, rolloverWeeks: 0 });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { encodeNmeaSentence } from '../../../drivers/nmea/checksum.ts';
import { decodeNmeaSentence } from '../../../drivers/nmea/codec.ts';
import { GnssFixAccumulator, type GnssFix } from '../../../drivers/nmea/fix-accumulator.ts';
import { gnssReadingFromFix } from '../../../drivers/nmea/gnss-reading.ts';
import { PLAUSIBLE_BOUNDS } from '../../../drivers/nmea/plausibility.ts';

const HOST = Date.parse('2026-03-01T12:00:05Z');

function fixOf(bodies: string[]): GnssFix {
  const acc = new GnssFixAccumulator({ clock: new ManualClock(HOST) });
  for (const b of bodies) {
    const r = decodeNmeaSentence(encodeNmeaSentence(b).trimEnd());
    if (!r.ok) throw new Error(r.error.message);
    expect(acc.push(r.sentence)).toBeUndefined();
  }
  return acc.flush()!;
}

const GOOD_GGA = 'GPGGA,120000.00,4900.000,N,00800.000,E,1,08,0.9,100.0,M,47.0,M,,';

describe('plausibility bounds on checksum-valid values', () => {
  it('a plausible epoch is trusted and its reading is ok', () => {
    const f = fixOf([GOOD_GGA, 'GPRMC,120000.00,A,4900.000,N,00800.000,E,5.0,45.0,010326,,,A']);
    expect(f.implausible).toEqual([]);
    expect(gnssReadingFromFix('gps', HOST, f)!.quality).toMatchObject({ ok: true });
  });

  it.each([
    ['speed of 4,600 m/s', ['GPRMC,120000.00,A,4900.000,N,00800.000,E,8941.7,45.0,010326,,,A', GOOD_GGA], 'speedMps', 'speedMps'],
    ['altitude of 236 km', ['GPGGA,120000.00,4900.000,N,00800.000,E,1,08,0.9,236000.0,M,47.0,M,,'], 'altMslM', 'altMslM'],
    ['2,100 satellites used', ['GPGGA,120000.00,4900.000,N,00800.000,E,1,2100,0.9,100.0,M,47.0,M,,'], 'satellitesUsed', 'satellitesUsed'],
    ['a GST sigma over 10 km on a valid fix', [GOOD_GGA, 'GPGST,120000.00,5.0,4.0,3.0,10.0,25000.0,3.0,6.0'], 'latSigmaM', 'latSigmaM'],
    ['an HDOP of 99.9', ['GPGGA,120000.00,4900.000,N,00800.000,E,1,08,99.9,100.0,M,47.0,M,,'], 'hdop', 'hdop'],
  ])('%s is flagged, left out, and the reading is not ok', (_what, bodies, quantity, field) => {
    const f = fixOf(bodies);
    expect(f.implausible.map((i) => i.quantity)).toEqual([quantity]);
    expect(f).not.toHaveProperty(field);
    // The position itself is still reported, so an operator sees what the receiver said.
    expect(f.lat).toBe(49);
    const r = gnssReadingFromFix('gps', HOST, f)!;
    expect(r.quality.ok).toBe(false);
    expect(r.quality.status).toContain(`implausible:${quantity}`);
  });

  it('a ZDA year of 9999 is flagged and gives no GNSS time', () => {
    const f = fixOf([GOOD_GGA, 'GPZDA,120000.00,01,03,9999,00,00']);
    expect(f.implausible).toEqual([{ quantity: 'year', value: 9999 }]);
    expect(f).not.toHaveProperty('gnssTime');
    expect(f).not.toHaveProperty('date');
  });

  it('a large GST sigma while the receiver has no fix is not a fault (receivers send it while searching)', () => {
    const f = fixOf(['GPGGA,120000.00,,,,,0,00,99.0,,,,,,', 'GPGST,120000.00,0.0,0.0,0.0,0.0,25000.0,25000.0,32000.0']);
    expect(f.implausible.map((i) => i.quantity)).not.toContain('latSigmaM');
    expect(f.latSigmaM).toBe(25000);
  });

  it('drivers/nmea/README.md shows every bound of plausibility.ts, with the same limits', () => {
    const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drivers/nmea/README.md'), 'utf8');
    for (const [q, b] of Object.entries(PLAUSIBLE_BOUNDS)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${q}\``));
      expect(row, q).toBeDefined();
      expect(row, q).toContain(`| ${b.min} – ${b.max} |`);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { decodeGpsdLine } from '../../../drivers/gpsd/gpsd-json.ts';
import { chkReports } from '../nmea/corpus.ts';

describe('gpsd JSON reports', () => {
  it('decodes every TPV, SKY and GST gpsd wrote for gr8013-w.log (the .chk file)', () => {
    const lines = chkReports('gr8013-w.log').map((o) => JSON.stringify(o));
    const classes = new Set<string>();
    for (const l of lines) {
      const r = decodeGpsdLine(l);
      expect(r.ok, l).toBe(true);
      if (r.ok) classes.add(r.report.class);
    }
    expect([...classes].sort()).toEqual(['GST', 'SKY', 'TPV']);
  });

  it('maps the fields and units', () => {
    const tpv = decodeGpsdLine('{"class":"TPV","mode":3,"time":"2035-02-02T18:11:41.000Z","lat":52.514809167,"lon":13.464265167,"altMSL":62.6,"alt":62.6,"speed":0.016,"track":12.5,"eph":17.67,"status":2}');
    expect(tpv).toEqual({ ok: true, badFields: [], report: { class: 'TPV', mode: 3, status: 2, timeMs: Date.parse('2035-02-02T18:11:41.000Z'), lat: 52.514809167, lon: 13.464265167, altMslM: 62.6, speedMps: 0.016, trackDeg: 12.5, ephM: 17.67 } });
    const sky = decodeGpsdLine('{"class":"SKY","hdop":0.93,"pdop":1.59,"satellites":[{"PRN":4,"used":false},{"PRN":7,"used":true}]}');
    expect(sky).toEqual({ ok: true, badFields: [], report: { class: 'SKY', hdop: 0.93, pdop: 1.59, satellitesUsed: 1, satellitesVisible: 2 } });
    const gst = decodeGpsdLine('{"class":"GST","time":"2035-02-02T18:11:41.000Z","rms":46.0,"lat":4.7,"lon":1.9,"alt":5.3}');
    expect(gst).toMatchObject({ ok: true, report: { latSigmaM: 4.7, lonSigmaM: 1.9, altSigmaM: 5.3, rmsM: 46 } });
  });

  it('keeps a report whose minor fields are malformed, leaving those out and naming them', () => {
    const tpv = decodeGpsdLine('{"class":"TPV","mode":3,"time":"2035-02-02T18:11:41.000Z","lat":52.5,"lon":13.4,"altMSL":"high","speed":-1,"track":400,"eph":17.5,"status":"x"}');
    expect(tpv).toEqual({
      ok: true,
      report: { class: 'TPV', mode: 3, timeMs: Date.parse('2035-02-02T18:11:41.000Z'), lat: 52.5, lon: 13.4, ephM: 17.5 },
      badFields: ['status: "x"', 'altMSL: "high"', 'speed: -1', 'track: 400'],
    });
    const sky = decodeGpsdLine('{"class":"SKY","hdop":"?","pdop":1.5,"uSat":7}');
    expect(sky).toEqual({ ok: true, report: { class: 'SKY', pdop: 1.5, satellitesUsed: 7 }, badFields: ['hdop: "?"'] });
    const gst = decodeGpsdLine('{"class":"GST","time":"2035-02-02T18:11:41.000Z","rms":null,"lat":-3,"lon":1.9}');
    expect(gst).toMatchObject({ ok: true, report: { lonSigmaM: 1.9 }, badFields: ['lat: -3'] });
  });

  it.each([
    ['{"class":"TPV","mode":3', 'GPSD_BAD_JSON'],
    ['[1,2]', 'GPSD_BAD_JSON'],
    ['{"mode":3}', 'GPSD_BAD_JSON'],
    ['{"class":"TPV","mode":7}', 'GPSD_BAD_FIELD'],
    ['{"class":"TPV","mode":3,"lat":"52"}', 'GPSD_BAD_FIELD'],
    ['{"class":"TPV","mode":3,"lat":95}', 'GPSD_BAD_FIELD'],
    ['{"class":"TPV","mode":3,"time":"yesterday"}', 'GPSD_BAD_FIELD'],
    ['{"class":"GST","time":12}', 'GPSD_BAD_FIELD'],
    ['{"class":"VERSION","release":"3.22"}', 'GPSD_UNSUPPORTED'],
  ])('%s → %s', (line, code) => {
    const r = decodeGpsdLine(line);
    expect(r.ok ? 'ok' : r.code).toBe(code);
  });
});

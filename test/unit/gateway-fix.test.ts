/** The gateway's own position (claim 264) and clock quality against GNSS time (claim -65543). */
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/reading.ts';
import { GatewayFix } from '../../agent/domain/gateway-fix.ts';

const T = 1_800_000_000_000;
const SURVEYED = { lat: 53.54615, lon: 9.96641, accuracyM: 3, maxDriftM: 100 };
const HOST = { src: 'ntp', sync: true, errMs: 100 } as const;

/** A GNSS Reading as drivers/nmea gnssReadingFromFix builds it. */
const fix = (t: number, o: { lat?: number; lon?: number; gnssTime?: number; ok?: boolean; accuracyM?: number } = {}): Reading => ({
  source: 'gnss',
  modality: 'gnss',
  t,
  value: { lat: o.lat ?? SURVEYED.lat, lon: o.lon ?? SURVEYED.lon, fixMode: '3d', ...(o.gnssTime !== undefined ? { gnssTime: o.gnssTime, gnssTimeStatus: 'ok' } : {}) },
  quality: { ok: o.ok ?? true, accuracyM: o.accuracyM ?? 2.5 },
});

describe('gateway position', () => {
  it('states the GNSS fix while fresh, then the surveyed position with its accuracy', () => {
    const g = new GatewayFix(SURVEYED, 10_000);
    expect(g.location(T)).toEqual({ lat: SURVEYED.lat, lon: SURVEYED.lon, accuracyM: 3, t: T });
    g.observe(fix(T, { lat: 53.54616 }));
    expect(g.location(T + 5000)).toEqual({ lat: 53.54616, lon: SURVEYED.lon, accuracyM: 2.5, t: T });
    expect(g.location(T + 11_000)).toMatchObject({ lat: SURVEYED.lat, accuracyM: 3 });
  });
  it('states nothing without a fix or a survey, and ignores a fix that flags itself not ok', () => {
    const g = new GatewayFix(undefined);
    g.observe(fix(T, { ok: false }));
    expect(g.location(T)).toBeUndefined();
  });
  it('flags a fix far from the surveyed position once per excursion', () => {
    const g = new GatewayFix(SURVEYED);
    expect(g.observe(fix(T, { lat: SURVEYED.lat + 0.0005 }))).toBeUndefined(); // 56 m: inside 100 + 3 + 2.5
    const moved = g.observe(fix(T + 1000, { lat: SURVEYED.lat + 0.01 })); // 1.1 km
    expect(moved).toMatchObject({ measuredM: 1112, requiredM: 106 });
    expect(g.observe(fix(T + 2000, { lat: SURVEYED.lat + 0.01 }))).toBeUndefined();
    g.observe(fix(T + 3000));
    expect(g.observe(fix(T + 4000, { lat: SURVEYED.lat + 0.01 }))).toBeDefined();
  });
});

describe('time quality against GNSS time', () => {
  it('is the host clock until a fix carrying GNSS time is held', () => {
    const g = new GatewayFix(SURVEYED);
    expect(g.timeQuality(T, HOST)).toEqual(HOST);
    g.observe(fix(T)); // a GGA-only fix has no date, so no GNSS time
    expect(g.timeQuality(T, HOST)).toEqual(HOST);
  });
  it('states the smallest measured offset of the recent fixes as err, synchronised within 500 ms', () => {
    const g = new GatewayFix(SURVEYED, 10_000);
    g.observe(fix(T + 180, { gnssTime: T }));
    g.observe(fix(T + 1120, { gnssTime: T + 1000 }));
    g.observe(fix(T + 2300, { gnssTime: T + 2000 }));
    expect(g.timeQuality(T + 2300, HOST)).toEqual({ src: 'gnss', sync: true, errMs: 120 });
  });
  it('says unsynchronised when the host clock is seconds off, and falls back once the fixes are stale', () => {
    const g = new GatewayFix(SURVEYED, 10_000);
    g.observe(fix(T + 3200, { gnssTime: T }));
    expect(g.timeQuality(T + 3200, HOST)).toEqual({ src: 'gnss', sync: false, errMs: 3200 });
    expect(g.timeQuality(T + 20_000, HOST)).toEqual(HOST);
  });
});

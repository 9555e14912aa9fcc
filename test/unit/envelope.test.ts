/**
 * Envelopes from the shipped example profiles, fed the Reading shapes the real drivers emit
 * (drivers/modbus ModbusPointReading, firmware-bridge McuReadingValue, drivers/ais AisMessage,
 * drivers/rfid Sighting): each dimension follows the hardware it reads.
 */
import { describe, expect, it } from 'vitest';
import type { Modality, Reading } from '../../core/reading.ts';
import { loadConfigFile } from '../../agent/config/load.ts';
import { resolvePlaceProfile } from '../../agent/config/place-profile.ts';
import { EnvelopeBuilder, envelopeBody, significantChange } from '../../agent/domain/envelope.ts';
import type { PlaceProfile } from '../../agent/domain/place-profile.ts';
import { validateConfig } from '../../agent/config/load.ts';
import { ConfigError } from '../../agent/config/load.ts';

const T = 1_800_000_000_000;
const example = (name: string): PlaceProfile => resolvePlaceProfile(loadConfigFile(new URL(`../../agent/config/examples/${name}.yaml`, import.meta.url).pathname));

const modbus = (source: string, modality: Modality, point: string, value: number, unitOfMeasure: string, t = T): Reading => ({
  source,
  modality,
  t,
  value: { unit: 1, profile: 'p', point, value, raw: value, unitOfMeasure },
  quality: { ok: true },
});
const mcu = (source: string, modality: Modality, channel: number, value: number, unit: string, t = T): Reading => ({
  source,
  modality,
  t,
  value: { channel, value, raw: value, exponent: 0, unit, tick: 0, seq: 1, bootId: 1, deviceId: 1 },
  quality: { ok: true, status: 'ok' },
});
const ais = (mmsi: number, lat: number, lon: number, t = T): Reading => ({
  source: 'ais',
  modality: 'ais',
  t,
  value: { class: 'AIS', type: 1, repeat: 0, mmsi, scaled: true, lat, lon, speed: 0, status: 5 },
  quality: { ok: true, accuracyM: 10 },
});
const uhf = (tag: string, state: 'open' | 'closed', t = T): Reading => ({
  source: 'trailer-uhf',
  modality: 'rfid',
  t,
  value: { tag, reader: 'trailer-uhf', firstSeen: t, lastSeen: t, count: 1, state },
  quality: { ok: true, status: state },
});

function build(p: PlaceProfile, readings: Reading[]): EnvelopeBuilder {
  const b = new EnvelopeBuilder(p, 10_000);
  for (const r of readings) b.ingest(r);
  return b;
}

describe('dock envelope (example dock.yaml)', () => {
  const p = example('dock');
  it('says the door is open when the MCU reed contact reads 1, and closed on 0', () => {
    const b = build(p, [mcu('door-mcu', 'door', 0, 1, 'bool')]);
    expect(b.compute(T).dims.door_open).toEqual({ value: true, unit: 'bool', conf: 0.95, sources: ['door-mcu'], t: T });
    b.ingest(mcu('door-mcu', 'door', 0, 0, 'bool', T + 1000));
    expect(b.compute(T + 1000).dims.door_open!.value).toBe(false);
  });
  it('says the bay is occupied from the time-of-flight distance in mm, with hysteresis', () => {
    const b = build(p, [mcu('door-mcu', 'range', 1, 1200, 'mm')]);
    expect(b.compute(T).dims.occupied).toMatchObject({ value: true, unit: 'bool', sources: ['door-mcu'] });
    b.ingest(mcu('door-mcu', 'range', 1, 3100, 'mm', T + 1));
    expect(b.compute(T + 1).dims.occupied!.value).toBe(true); // inside the 0.2 m hysteresis band
    b.ingest(mcu('door-mcu', 'range', 1, 3300, 'mm', T + 2));
    expect(b.compute(T + 2).dims.occupied!.value).toBe(false);
    b.ingest(mcu('door-mcu', 'range', 1, 3100, 'mm', T + 3));
    expect(b.compute(T + 3).dims.occupied!.value).toBe(false); // re-entering needs < 3 m
  });
  it('keeps every MCU channel: the door reading does not displace the range reading', () => {
    const b = build(p, [mcu('door-mcu', 'range', 1, 1200, 'mm'), mcu('door-mcu', 'door', 0, 1, 'bool')]);
    const e = b.compute(T);
    expect(e.dims.occupied!.value).toBe(true);
    expect(e.dims.door_open!.value).toBe(true);
  });
  it('says a trailer is present while its UHF sighting is open, and absent once it closed', () => {
    const b = build(p, [uhf('E2801160600002', 'open')]);
    expect(b.compute(T + 60_000).dims.trailer_present).toMatchObject({ value: true, sources: ['trailer-uhf'] });
    b.ingest(uhf('E2801160600002', 'closed', T + 61_000));
    expect(b.compute(T + 61_000).dims.trailer_present!.value).toBe(false);
  });
  it('states no dimension it has no reading for', () => {
    expect(Object.keys(build(p, []).compute(T).dims)).toEqual([]);
  });
});

describe('charger envelope (example charger.yaml)', () => {
  const p = example('charger');
  it('states free power as the rated 150 kW minus what the meter measures', () => {
    const b = build(p, [modbus('meter', 'meter', 'voltage_l1', 231, 'V'), modbus('meter', 'meter', 'active_power', 7, 'kW'), modbus('meter', 'meter', 'import_energy', 1234, 'kWh')]);
    const e = b.compute(T);
    expect(e.dims.max_kw).toEqual({ value: 150, unit: 'kW', conf: 1, sources: ['config'], t: T });
    expect(e.dims.available_kw).toEqual({ value: 143, unit: 'kW', conf: 0.95, sources: ['meter'], t: T });
  });
  it('says occupied from the plug contact and the power drawn, and counts free connectors', () => {
    const b = build(p, [mcu('cabinet-mcu', 'mcu', 0, 1, 'bool'), modbus('meter', 'meter', 'active_power', 7, 'kW')]);
    let e = b.compute(T);
    expect(e.dims.occupied).toMatchObject({ value: true, sources: ['cabinet-mcu', 'meter'] });
    expect(e.dims.occupied!.conf).toBeGreaterThan(0.95);
    expect(e.dims.connectors_free).toMatchObject({ value: 0, unit: 'count' });
    b.ingest(mcu('cabinet-mcu', 'mcu', 0, 0, 'bool', T + 1));
    b.ingest(modbus('meter', 'meter', 'active_power', 0, 'kW', T + 1));
    e = b.compute(T + 1);
    expect(e.dims.occupied!.value).toBe(false);
    expect(e.dims.connectors_free!.value).toBe(1);
    expect(e.dims.available_kw!.value).toBe(150);
  });
  it('a vehicle plugged in but drawing nothing (full, or waiting for its tariff) is occupied, at the plug contact\'s full confidence', () => {
    const b = build(p, [mcu('cabinet-mcu', 'mcu', 0, 1, 'bool'), modbus('meter', 'meter', 'active_power', 0, 'kW')]);
    const e = b.compute(T);
    // The meter below its threshold says nothing: no dissent halving the plug's word.
    expect(e.dims.occupied).toEqual({ value: true, unit: 'bool', conf: 0.9, sources: ['cabinet-mcu'], t: T });
    expect(e.dims.connectors_free!.value).toBe(0);
  });
  it('names the reading that decided physical occupancy: the plug contact, not a newer meter poll that said nothing', () => {
    const plug = mcu('cabinet-mcu', 'mcu', 0, 1, 'bool');
    const b = build(p, [plug]);
    const idlePoll = modbus('meter', 'meter', 'active_power', 0, 'kW', T + 300);
    b.ingest(idlePoll);
    const quiet = b.physicalOccupancy(idlePoll)!;
    expect(quiet).toMatchObject({ value: true, sources: ['cabinet-mcu'], t: T });
    expect(quiet.decidedBy).toBe(plug);
    // Drawing power, the meter votes too, and its reading is now the newest one behind the value.
    const charging = modbus('meter', 'meter', 'active_power', 7, 'kW', T + 600);
    b.ingest(charging);
    const both = b.physicalOccupancy(charging)!;
    expect(both).toMatchObject({ value: true, sources: ['cabinet-mcu', 'meter'], t: T + 600 });
    expect(both.decidedBy).toBe(charging);
  });
  it('loses confidence as the meter goes quiet past its stale time (10 s)', () => {
    const b = build(p, [modbus('meter', 'meter', 'active_power', 7, 'kW')]);
    expect(b.compute(T + 10_000).dims.available_kw!.conf).toBeCloseTo(0.95);
    expect(b.compute(T + 20_000).dims.available_kw!.conf).toBeCloseTo(0.475);
  });
});

describe('berth envelope (example berth.yaml)', () => {
  const p = example('berth');
  it('states the configured quay and fuses the radar with an AIS vessel at the anchor', () => {
    const radarOnly = build(p, [modbus('radar', 'range', 'distance', 4.2, 'm')]).compute(T);
    expect(radarOnly.dims.occupied).toMatchObject({ value: true, sources: ['radar'], conf: 0.85 });
    expect(radarOnly.dims.length_m).toMatchObject({ value: 320, unit: 'm' });
    expect(radarOnly.dims.beam_m).toMatchObject({ value: 52, unit: 'm' });
    expect(radarOnly.dims.draft_m).toMatchObject({ value: 14.5, unit: 'm' });
    const both = build(p, [modbus('radar', 'range', 'distance', 4.2, 'm'), ais(211331640, 53.5461, 9.9665)]).compute(T);
    expect(both.dims.occupied!.sources).toEqual(['ais', 'radar']);
    expect(both.dims.occupied!.conf).toBeGreaterThan(0.95);
  });
  it('does not count a vessel heard 5 km out as occupying the berth', () => {
    const e = build(p, [modbus('radar', 'range', 'distance', 38, 'm'), ais(211331640, 53.5911, 9.9665)]).compute(T);
    expect(e.dims.occupied).toMatchObject({ value: false, sources: ['radar'] });
  });
});

describe('envelope body and changes', () => {
  const p = example('dock');
  it('encodes dims with value, unit, conf, sources, t and the validity interval', () => {
    const e = build(p, [mcu('door-mcu', 'door', 0, 1, 'bool')]).compute(T + 500);
    expect(e.valid).toEqual([T + 500, T + 5000]); // the MCU's stale time (5 s) ends before the 10 s period
    const body = envelopeBody(e);
    expect(body.valid).toEqual([T + 500, T + 5000]);
    expect(Object.keys((body.dims as Record<string, object>).door_open!).sort()).toEqual(['conf', 'sources', 't', 'unit', 'value']);
  });
  it('calls a door opening significant, and a numeric move below its delta not', () => {
    const b = build(p, [mcu('door-mcu', 'door', 0, 0, 'bool')]);
    const before = b.compute(T);
    b.ingest(mcu('door-mcu', 'door', 0, 1, 'bool', T + 1));
    expect(significantChange(before, b.compute(T + 1), p.dims)).toBe(true);
    const c = example('charger');
    const m = build(c, [modbus('meter', 'meter', 'active_power', 7, 'kW')]);
    const a = m.compute(T);
    m.ingest(modbus('meter', 'meter', 'active_power', 8, 'kW', T + 1));
    expect(significantChange(a, m.compute(T + 1), c.dims)).toBe(false);
    m.ingest(modbus('meter', 'meter', 'active_power', 10, 'kW', T + 2));
    expect(significantChange(a, m.compute(T + 2), c.dims)).toBe(true);
  });
});

describe('profile configuration', () => {
  const base = { place: 'urn:place:X:dock:1', sources: [{ id: 'door', type: 'mcu', port: '/dev/null' }] };
  it('refuses a feed naming a source that is not configured, naming the path', () => {
    try {
      validateConfig({ ...base, envelope: { placeType: 'dock', dims: { door_open: { feeds: [{ source: 'nope' }] } } } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues[0]).toMatchObject({ path: '/envelope/dims/door_open/feeds/0/source', value: 'nope' });
    }
  });
  it('refuses a custom dimension without a unit', () => {
    expect(() => validateConfig({ ...base, envelope: { dims: { leveller_up: { feeds: [{ source: 'door', point: 2 }], rule: { kind: 'contact' } } } } })).toThrow(/unit/);
  });
  it('builds a custom dimension from an MCU channel', () => {
    const p = resolvePlaceProfile(validateConfig({ ...base, envelope: { dims: { leveller_up: { unit: 'bool', feeds: [{ source: 'door', point: 2 }], rule: { kind: 'contact' } } } } }));
    const e = build(p, [mcu('door', 'mcu', 2, 1, 'bool')]).compute(T);
    expect(e.dims.leveller_up).toMatchObject({ value: true, unit: 'bool', sources: ['door'] });
  });
});

import type { AisBits } from '../../bits.ts';
import type { AisFields } from '../types.ts';
import { BitCursor } from './layout.ts';

/**
 * Meteorological and hydrological data, broadcast in message 8 with DAC 1. Raw units; every
 * field's "not available" code (usually the largest value of its width) passes through.
 */

/**
 * FI 11, IMO SN/Circ.236 Annex 2 (superseded by FI 31 but still sent): latitude (24 bits) before
 * longitude (25), both in 1/1000 minute; air temperature, dew point, pressure, water level and
 * water temperature are offset unsigned values (e.g. air temperature (T + 60.0) * 10).
 */
export function decodeMetHydroFi11(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    lat: c.s(24),
    lon: c.s(25),
    timestamp: c.dayTime(),
    wspeed: c.u(7),
    wgust: c.u(7),
    wdir: c.u(9),
    wgustdir: c.u(9),
    airtemp: c.u(11),
    humidity: c.u(7),
    dewpoint: c.u(10),
    pressure: c.u(9),
    pressuretend: c.u(2),
    visibility: c.u(8),
    waterlevel: c.u(9),
    leveltrend: c.u(2),
    ...currentsAndWaves(c),
    seastate: c.u(4),
    watertemp: c.u(10),
    preciptype: c.u(3),
    salinity: c.u(9),
    ice: c.u(2),
  };
}

/**
 * FI 31, IMO SN.1/Circ.289 Table 1.1: longitude (25 bits) before latitude (24), position
 * accuracy, a "visibility greater than" flag, and signed temperatures (0.1 °C, two's
 * complement); water level is 12 bits in 1/100 m.
 */
export function decodeMetHydroFi31(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    lon: c.s(25),
    lat: c.s(24),
    accuracy: c.flag(),
    timestamp: c.dayTime(),
    wspeed: c.u(7),
    wgust: c.u(7),
    wdir: c.u(9),
    wgustdir: c.u(9),
    airtemp: c.s(11),
    humidity: c.u(7),
    dewpoint: c.s(10),
    pressure: c.u(9),
    pressuretend: c.u(2),
    visgreater: c.flag(),
    visibility: c.u(7),
    waterlevel: c.u(12),
    leveltrend: c.u(2),
    ...currentsAndWaves(c),
    seastate: c.u(4),
    watertemp: c.s(10),
    preciptype: c.u(3),
    salinity: c.u(9),
    ice: c.u(2),
  };
}

/** Surface current and two more levels, then waves and swell: the same in both versions. */
function currentsAndWaves(c: BitCursor): AisFields {
  return {
    cspeed: c.u(8),
    cdir: c.u(9),
    cspeed2: c.u(8),
    cdir2: c.u(9),
    cdepth2: c.u(5),
    cspeed3: c.u(8),
    cdir3: c.u(9),
    cdepth3: c.u(5),
    waveheight: c.u(8),
    waveperiod: c.u(6),
    wavedir: c.u(9),
    swellheight: c.u(8),
    swellperiod: c.u(6),
    swelldir: c.u(9),
  };
}

/** 1/1000 minute (IMO SN/Circ.236 and SN.1/Circ.289) to degrees. */
const THOUSANDTH_MINUTE = 60_000;

/**
 * FI 11 in gpsd's scaled units: degrees, °C, hPa, NM, m, knots, ‰ (offsets of SN/Circ.236
 * Annex 2 removed). Not-available codes are scaled like any value, as gpsd does.
 */
export function scaleMetHydroFi11(f: AisFields): AisFields {
  const n = (k: string): number => f[k] as number;
  return {
    ...f,
    lat: n('lat') / THOUSANDTH_MINUTE,
    lon: n('lon') / THOUSANDTH_MINUTE,
    airtemp: (n('airtemp') - 600) / 10,
    dewpoint: (n('dewpoint') - 200) / 10,
    pressure: n('pressure') + 800,
    visibility: n('visibility') / 10,
    waterlevel: (n('waterlevel') - 100) / 10,
    cspeed: n('cspeed') / 10,
    cspeed2: n('cspeed2') / 10,
    cspeed3: n('cspeed3') / 10,
    waveheight: n('waveheight') / 10,
    swellheight: n('swellheight') / 10,
    watertemp: (n('watertemp') - 100) / 10,
    salinity: n('salinity') / 10,
  };
}

/** FI 31 in gpsd's scaled units (SN.1/Circ.289 Table 1.1: pressure 0 = 799 hPa, water level (x - 1000) / 100 m). */
export function scaleMetHydroFi31(f: AisFields): AisFields {
  const n = (k: string): number => f[k] as number;
  return {
    ...f,
    lat: n('lat') / THOUSANDTH_MINUTE,
    lon: n('lon') / THOUSANDTH_MINUTE,
    airtemp: n('airtemp') / 10,
    dewpoint: n('dewpoint') / 10,
    pressure: n('pressure') + 799,
    visibility: n('visibility') / 10,
    waterlevel: (n('waterlevel') - 1000) / 100,
    cspeed: n('cspeed') / 10,
    cspeed2: n('cspeed2') / 10,
    cspeed3: n('cspeed3') / 10,
    waveheight: n('waveheight') / 10,
    swellheight: n('swellheight') / 10,
    watertemp: n('watertemp') / 10,
    salinity: n('salinity') / 10,
  };
}

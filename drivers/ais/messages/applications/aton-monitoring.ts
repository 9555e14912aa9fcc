import type { AisBits } from '../../bits.ts';
import type { AisFields } from '../types.ts';
import { BitCursor } from './layout.ts';

/** One slot: 136 bits. gpsd 3.22 decodes it only at this length (raw data otherwise), and so do we. */
export const ATON_MONITORING_BITS = 136;

/**
 * FI 10 in message 6 with DAC 235 (UK) or 250 (Ireland): the General Lighthouse Authorities'
 * aid-to-navigation monitoring report. Three analogue readings (internal supply and two
 * external, in 0.05 V), RACON status (0 none, 1 not monitored, 2 operational, 3 error), light
 * status (0 none, 1 on, 2 off, 3 error), an alarm flag, eight digital inputs and the
 * off-position flag. Raw units.
 */
export function decodeAtonMonitoring(b: AisBits, start: number): AisFields {
  const c = new BitCursor(b, start);
  return {
    ana_int: c.u(10),
    ana_ext1: c.u(10),
    ana_ext2: c.u(10),
    racon: c.u(2),
    light: c.u(2),
    alarm: c.flag(),
    stat_ext: c.u(8),
    off_pos: c.flag(),
  };
}

/** The analogue readings in volts (0.05 V steps), as gpsd scales them. */
export function scaleAtonMonitoring(f: AisFields): AisFields {
  const volts = (k: string): number => (f[k] as number) / 20;
  return { ...f, ana_int: volts('ana_int'), ana_ext1: volts('ana_ext1'), ana_ext2: volts('ana_ext2') };
}

/**
 * The place capability envelope (DESIGN.md): what the place can take right now, each
 * dimension with a value, a value-confidence and the sources that fed it. Built from the
 * latest readings per source by the rule in evidence.ts.
 */
import type { Reading } from '../../core/reading.ts';
import type { CborValue } from '../encoding/cbor-value.ts';
import { CborFloat } from '../encoding/cbor-value.ts';
import { fuse, readingConfidence, type Dimension, type Vote } from './evidence.ts';

export interface EnvelopeStatic {
  lengthM?: number;
  draftM?: number;
  maxPowerKw?: number;
}

export interface PlaceEnvelope {
  dims: Record<string, Dimension<number | boolean>>;
}

/** Latest reading per source, kept by the runtime. */
export type LatestReadings = Map<string, Reading>;

function votes(latest: LatestReadings, now: number, freshMs: number, pick: (r: Reading) => number | boolean | undefined): Vote<number | boolean>[] {
  const out: Vote<number | boolean>[] = [];
  for (const r of latest.values()) {
    const v = pick(r);
    if (v !== undefined) out.push({ source: r.source, value: v, confidence: readingConfidence(r, now, freshMs) });
  }
  return out;
}

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

export function computeEnvelope(latest: LatestReadings, st: EnvelopeStatic, now: number, freshMs: number): PlaceEnvelope {
  const dims: PlaceEnvelope['dims'] = {};
  const set = (name: string, d: Dimension<number | boolean> | undefined) => {
    if (d) dims[name] = d;
  };
  // Occupied: a range sensor closer than its clear distance, a door contact, or presence readings.
  set(
    'occupied',
    fuse(
      votes(latest, now, freshMs, (r) => {
        const v = r.value as Record<string, unknown>;
        if (r.modality === 'range') return typeof v?.occupied === 'boolean' ? v.occupied : undefined;
        if (r.modality === 'ais' && typeof v?.atPlace === 'boolean') return v.atPlace;
        return undefined;
      }),
    ),
  );
  set('door_open', fuse(votes(latest, now, freshMs, (r) => (r.modality === 'door' ? Boolean((r.value as { open?: boolean })?.open) : undefined))));
  set('available_power_kw', fuse(votes(latest, now, freshMs, (r) => (r.modality === 'meter' ? num((r.value as { availableKw?: number })?.availableKw) : undefined))));
  if (st.lengthM !== undefined) dims.length_m = { value: st.lengthM, conf: 1, sources: ['config'] };
  if (st.draftM !== undefined) dims.draft_m = { value: st.draftM, conf: 1, sources: ['config'] };
  if (st.maxPowerKw !== undefined && !dims.available_power_kw) dims.available_power_kw = { value: st.maxPowerKw, conf: 0.5, sources: ['config'] };
  return { dims };
}

export function envelopeBody(e: PlaceEnvelope): { [k: string]: CborValue } {
  const dims: { [k: string]: CborValue } = {};
  for (const [k, d] of Object.entries(e.dims)) {
    dims[k] = { value: typeof d.value === 'number' && !Number.isInteger(d.value) ? new CborFloat(d.value) : d.value, conf: new CborFloat(d.conf), sources: d.sources };
  }
  return { dims };
}

export function summariseEnvelope(e: PlaceEnvelope): string {
  return Object.entries(e.dims)
    .map(([k, d]) => `${k}=${typeof d.value === 'number' ? Math.round(d.value * 100) / 100 : d.value}(${d.conf.toFixed(2)})`)
    .join(' ');
}

/**
 * Simulated sensors for one berth, used by `npm start`: the gateway's GNSS fix, an AIS
 * receiver that hears vessels come alongside and leave on a schedule, and a radar range
 * sensor over the berth that sees a hull when one is really there.
 */
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import type { Clock } from '../../core/clock.ts';
import type { PlaceProfile } from '../domain/place-profile.ts';

export interface Visit {
  mmsi: number;
  arriveAt: number;
  departAt: number;
  /**
   * `spoof`: only the AIS transponder claims the berth; the hull is not there, so the radar
   * stays clear (the agent must flag it and attest nothing).
   */
  spoof?: boolean;
}

export class BerthScript {
  readonly visits: Visit[] = [];
  constructor(readonly anchor: { lat: number; lon: number }) {}

  schedule(v: Visit): void {
    this.visits.push(v);
    while (this.visits.length > 8) this.visits.shift();
  }

  /** The vessel (if any) the AIS receiver hears at time t, where it is, and whether its hull lies at the berth. */
  vesselAt(t: number): { mmsi: number; lat: number; lon: number; alongside: boolean; hullAtBerth: boolean } | undefined {
    for (const v of this.visits) {
      // The AIS receiver picks the vessel up on its final approach, 2 s out.
      const approach = 2000;
      if (t >= v.arriveAt - approach && t <= v.departAt + approach) {
        const alongside = t >= v.arriveAt && t <= v.departAt;
        // On the approach at 3.2 knots (1.6 m/s) the vessel is a few metres off; alongside, at the anchor.
        const off = alongside ? 0 : Math.min(1, Math.abs(t < v.arriveAt ? v.arriveAt - t : t - v.departAt) / approach) * 0.00003;
        return { mmsi: v.mmsi, lat: this.anchor.lat + off, lon: this.anchor.lon + off, alongside, hullAtBerth: alongside && !v.spoof };
      }
    }
    return undefined;
  }
}

class PeriodicSource implements ReadingSource {
  private timer: NodeJS.Timeout | undefined;
  private readonly h: SourceHealth;
  constructor(
    readonly id: string,
    private readonly periodMs: number,
    private readonly make: (t: number) => Reading | undefined,
    private readonly clock: Clock,
  ) {
    this.h = { source: id, state: 'starting', readings: 0, errors: {}, discardedBytes: 0 };
  }
  async start(onReading: (r: Reading) => void): Promise<void> {
    this.h.state = 'up';
    this.timer = setInterval(() => {
      const r = this.make(this.clock.now());
      if (!r) return;
      this.h.readings++;
      this.h.lastReadingAt = r.t;
      onReading(r);
    }, this.periodMs);
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.h.state = 'down';
  }
  health(): SourceHealth {
    return { ...this.h, errors: { ...this.h.errors } };
  }
}

/**
 * The berth's simulated receivers. Each emits the Reading shape its real driver emits (GNSS:
 * drivers/nmea GnssValue; AIS: drivers/ais AisMessage; radar: drivers/modbus
 * ModbusPointReading of the ultrasonic-range profile), so the agent reads them through the
 * same declared dimensions and presence rules as real hardware.
 */
export function simulatedBerthSources(script: BerthScript, clock: Clock): ReadingSource[] {
  const jitter = () => (Math.random() - 0.5) * 0.00002;
  return [
    new PeriodicSource(
      'sim-gnss',
      1000,
      (t) => ({
        source: 'sim-gnss',
        modality: 'gnss',
        t,
        value: { lat: script.anchor.lat + 0.0004 + jitter(), lon: script.anchor.lon - 0.0003 + jitter(), fixMode: '3d', gnssTime: t - 120, gnssTimeStatus: 'ok' }, // a sentence reaches the host ~120 ms after its epoch
        quality: { ok: true, accuracyM: 2.5, hdop: 0.9, status: '3d' },
      }),
      clock,
    ),
    new PeriodicSource(
      'sim-ais',
      1000,
      (t) => {
        const v = script.vesselAt(t);
        if (!v) return undefined;
        return {
          source: 'sim-ais',
          modality: 'ais',
          t,
          // ITU-R M.1371-5 message 1 fields as drivers/ais decodes them (speed in knots, status 5 = moored).
          value: { class: 'AIS', type: 1, repeat: 0, mmsi: v.mmsi, scaled: true, lat: v.lat, lon: v.lon, speed: v.alongside ? 0 : 3.2, status: v.alongside ? 5 : 0, accuracy: true },
          quality: { ok: true, accuracyM: 10 },
        };
      },
      clock,
    ),
    new PeriodicSource(
      'sim-range',
      1000,
      (t) => {
        const distance = script.vesselAt(t)?.hullAtBerth ? 4.2 : 38.5;
        return {
          source: 'sim-range',
          modality: 'range',
          t,
          value: { unit: 1, slave: 'berth-radar', profile: 'ultrasonic-range', point: 'distance', value: distance, raw: Math.round(distance * 1000), unitOfMeasure: 'm' },
          quality: { ok: true },
        };
      },
      clock,
    ),
  ];
}

/** The simulated berth's declared dimensions: the same rules a configured berth gets (agent/config/place-profile.ts). */
export function simulatedBerthProfile(anchor: { lat: number; lon: number }): PlaceProfile {
  return {
    type: 'berth',
    anchor,
    reliability: {},
    dims: [
      { id: 'length_m', unit: 'm', fixed: 320, feeds: [], freshMs: 0 },
      { id: 'beam_m', unit: 'm', fixed: 48, feeds: [], freshMs: 0 },
      { id: 'draft_m', unit: 'm', fixed: 14.5, feeds: [], freshMs: 0 },
      {
        id: 'occupied',
        unit: 'bool',
        feeds: [
          { source: 'sim-range', point: 'distance', rule: { kind: 'range-below', clearM: 10, hysteresisM: 0.5 }, freshMs: 5000 },
          { source: 'sim-ais', rule: { kind: 'units-present', withinM: 100 }, freshMs: 3000 },
        ],
        freshMs: 5000,
      },
    ],
  };
}

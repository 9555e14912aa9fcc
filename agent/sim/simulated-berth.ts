/**
 * Simulated sensors for one berth, used by `npm start`: the gateway's GNSS fix, an AIS
 * receiver that sees a vessel come alongside and leave on a schedule, and a radar range
 * sensor that reports the berth occupied while the vessel is there.
 */
import type { Reading, ReadingSource, SourceHealth } from '../../core/reading.ts';
import type { Clock } from '../../core/clock.ts';

export interface Visit {
  mmsi: number;
  arriveAt: number;
  departAt: number;
}

export class BerthScript {
  readonly visits: Visit[] = [];
  constructor(readonly anchor: { lat: number; lon: number }) {}

  schedule(v: Visit): void {
    this.visits.push(v);
    while (this.visits.length > 8) this.visits.shift();
  }

  /** The vessel (if any) alongside at time t, and where it is. */
  vesselAt(t: number): { mmsi: number; lat: number; lon: number; alongside: boolean } | undefined {
    for (const v of this.visits) {
      // The AIS receiver picks the vessel up on its final approach, 2 s out.
      const approach = 2000;
      if (t >= v.arriveAt - approach && t <= v.departAt + approach) {
        const alongside = t >= v.arriveAt && t <= v.departAt;
        // Off the berth the vessel is ~300 m out on the approach; alongside, within a few metres.
        const off = alongside ? 0 : Math.min(1, Math.abs(t < v.arriveAt ? v.arriveAt - t : t - v.departAt) / approach) * 0.0004;
        return { mmsi: v.mmsi, lat: this.anchor.lat + off, lon: this.anchor.lon + off, alongside };
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
        value: { lat: script.anchor.lat + 0.0004 + jitter(), lon: script.anchor.lon - 0.0003 + jitter(), fixMode: '3d' },
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
          value: { type: 1, mmsi: v.mmsi, lat: v.lat, lon: v.lon, speed: v.alongside ? 0 : 3.2, status: v.alongside ? 5 : 0, atPlace: v.alongside },
          quality: { ok: true, accuracyM: 10 },
        };
      },
      clock,
    ),
    new PeriodicSource(
      'sim-range',
      2000,
      (t) => {
        const v = script.vesselAt(t);
        const occupied = Boolean(v?.alongside);
        return { source: 'sim-range', modality: 'range', t, value: { distanceM: occupied ? 4.2 : 38.5, occupied }, quality: { ok: true } };
      },
      clock,
    ),
  ];
}

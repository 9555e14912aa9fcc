/**
 * Mapping MCU ticks to host time from TIME_SYNC round trips (PROTOCOL.md §5.7). Pure: the
 * caller measures `sentAt`/`receivedAt` with its injected clock.
 *
 * The MCU read tick T at some host instant inside [sentAt, receivedAt + hostResolutionMs)
 * (a clock with 1 ms resolution floors both readings), and the real tick counter stood in
 * [T, T + tickMs). Taking the midpoint, the host time of tick T is known to within
 * rtt/2 + hostResolutionMs + tickMs. Away from the anchor the MCU's crystal may run off by
 * `driftPpm`, adding |Δt|·driftPpm/10^6.
 */
export interface TimeSyncSample {
  sentAt: number;
  receivedAt: number;
  tick: number;
}

export interface TickMapping {
  tick: number;
  hostMs: number;
  /** Uncertainty at the anchor itself, ms. */
  uncertaintyMs: number;
  rttMs: number;
  tickHz: number;
  driftPpm: number;
}

export interface HostTime {
  t: number;
  uncertaintyMs: number;
}

export function mappingFromSample(s: TimeSyncSample, tickHz: number, driftPpm: number, hostResolutionMs = 1): TickMapping {
  const rtt = Math.max(0, s.receivedAt - s.sentAt);
  return {
    tick: s.tick >>> 0,
    hostMs: (s.sentAt + s.receivedAt + hostResolutionMs) / 2,
    uncertaintyMs: rtt / 2 + hostResolutionMs + 1000 / tickHz,
    rttMs: rtt,
    tickHz,
    driftPpm,
  };
}

/** The sample with the shortest round trip bounds the time most tightly. */
export function bestSample(samples: readonly TimeSyncSample[]): TimeSyncSample | undefined {
  let best: TimeSyncSample | undefined;
  for (const s of samples) if (!best || s.receivedAt - s.sentAt < best.receivedAt - best.sentAt) best = s;
  return best;
}

/** Ticks are u32 and wrap; the signed 32-bit difference is right within ±2^31 ticks. */
export function tickDelta(tick: number, anchor: number): number {
  return ((tick >>> 0) - (anchor >>> 0)) | 0;
}

/**
 * Host time of the instant the tick counter reached `tick`. A reading sampled at tick T
 * happened within one tick after that, so `readingTime` adds one tick of uncertainty.
 */
export function tickToHost(m: TickMapping, tick: number): HostTime {
  const dMs = (tickDelta(tick, m.tick) * 1000) / m.tickHz;
  return { t: m.hostMs + dMs, uncertaintyMs: m.uncertaintyMs + (Math.abs(dMs) * m.driftPpm) / 1e6 };
}

export function readingTime(m: TickMapping, tick: number): HostTime {
  const h = tickToHost(m, tick);
  return { t: h.t, uncertaintyMs: h.uncertaintyMs + 1000 / m.tickHz };
}

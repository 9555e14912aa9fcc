/**
 * A Reading is what every source emits (DESIGN.md, "Evidence and confidence"): who said it,
 * by which modality, when (host time, ms), the value, and the reading's own quality.
 */
export type Modality = 'gnss' | 'ais' | 'rfid' | 'range' | 'meter' | 'door' | 'mcu';

export interface ReadingQuality {
  /** False when the source itself flags the value as unusable (no fix, sensor fault, ...). */
  ok: boolean;
  /** Horizontal accuracy estimate in metres (GNSS, AIS position accuracy). */
  accuracyM?: number;
  hdop?: number;
  rssi?: number;
  /** Uncertainty of `t` in ms (e.g. from MCU time sync). */
  timeUncertaintyMs?: number;
  /** Source-specific status text (sensor status, fix mode). */
  status?: string;
}

export interface Reading<V = unknown> {
  source: string;
  modality: Modality;
  /** Host time in ms since the Unix epoch when the reading was taken. */
  t: number;
  value: V;
  quality: ReadingQuality;
}

/** Per-source health as shown by metrics, /healthz and `place-agent status`. */
export interface SourceHealth {
  source: string;
  state: 'starting' | 'up' | 'stale' | 'down';
  lastReadingAt?: number;
  readings: number;
  /** Error counts by code (decode errors, checksum failures, reopen attempts, ...). */
  errors: Record<string, number>;
  /** Bytes discarded by framing while resynchronising. */
  discardedBytes: number;
  detail?: string;
}

/**
 * A SourceHealth from what a source tracks: `lastReadingAt` and `detail` appear only when
 * known, and `stale` replaces `up` once the last reading is older than `staleAfterMs`.
 */
export function sourceHealth(h: {
  source: string;
  state: SourceHealth['state'];
  readings: number;
  errors: Record<string, number>;
  discardedBytes: number;
  lastReadingAt?: number | undefined;
  detail?: string | undefined;
  stale?: { now: number; afterMs: number };
}): SourceHealth {
  const old = h.stale !== undefined && h.lastReadingAt !== undefined && h.stale.now - h.lastReadingAt > h.stale.afterMs;
  return {
    source: h.source,
    state: h.state === 'up' && old ? 'stale' : h.state,
    readings: h.readings,
    errors: h.errors,
    discardedBytes: h.discardedBytes,
    ...(h.lastReadingAt !== undefined ? { lastReadingAt: h.lastReadingAt } : {}),
    ...(h.detail ? { detail: h.detail } : {}),
  };
}

/** A source of Readings: a driver wired to its binding. */
export interface ReadingSource {
  readonly id: string;
  start(onReading: (r: Reading) => void): Promise<void>;
  stop(): Promise<void>;
  health(): SourceHealth;
}

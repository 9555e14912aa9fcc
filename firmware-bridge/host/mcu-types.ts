/** The McuSource's public shapes: its options, the value of its Readings, and its health. */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Modality, SourceHealth } from '../../core/reading.ts';
import type { WatchedLink } from '../../drivers/serial/link-events.ts';
import type { McuLinkCounters } from './mcu-link.ts';
import type { ChannelDescriptor } from './message.ts';
import type { TickMapping } from './time-sync.ts';

export interface McuChannelOverride {
  /** Name carried in the reading value, e.g. `dock-door`. */
  name?: string;
  /** Overrides the modality the MCU declares in HELLO_REPLY. */
  modality?: Modality;
}

export interface McuSourceOptions {
  /** Source id in Readings and health, e.g. `mcu:dock-3`. */
  id: string;
  /** A ReconnectingLink to have a vanished port reopened (as the agent builds it); a bare link stays down. */
  link: WatchedLink;
  clock?: Clock;
  log?: Logger;
  /** Per-attempt reply timeout (ms, default 200) and retransmissions (default 3). */
  requestTimeoutMs?: number;
  requestRetries?: number;
  /** Silence longer than heartbeatMs × silenceFactor (default 3, at least minSilenceMs) trips the watchdog. */
  silenceFactor?: number;
  minSilenceMs?: number;
  /** Pause between failed handshakes (default 250 ms); every resetEvery-th failure resets again. */
  handshakeRetryMs?: number;
  resetEvery?: number;
  /** How the watchdog resets the MCU (default 'both'). */
  resetStrategy?: 'message' | 'dtr' | 'both';
  /** TIME_SYNC round every timeSyncIntervalMs (default 5000) of timeSyncSamples exchanges (default 4). */
  timeSyncIntervalMs?: number;
  timeSyncSamples?: number;
  /** Assumed worst-case MCU oscillator error (default 100 ppm). */
  driftPpm?: number;
  /** Applied with CONFIG_SET after every handshake. */
  config?: { heartbeatMs?: number; reportMs?: number; channelMask?: number };
  channels?: Record<number, McuChannelOverride>;
}

export interface McuReadingValue {
  channel: number;
  name?: string;
  /** raw × 10^exponent, in `unit`. */
  value: number;
  raw: number;
  exponent: number;
  unit: string;
  tick: number;
  seq: number;
  bootId: number;
  deviceId: number;
}

export interface McuInfo {
  deviceId: number;
  bootId: number;
  firmware: string;
  protocolVersion: number;
  capabilities: number;
  heartbeatMs: number;
  tickHz: number;
  channels: ChannelDescriptor[];
  /** From the last HEARTBEAT: reports the MCU dropped from a full queue, and its receive errors. */
  dropped: number;
  rxErrors: number;
  queued: number;
}

export interface McuHealth extends SourceHealth {
  link: McuLinkCounters & {
    duplicates: number;
    resets: number;
    reboots: number;
    handshakes: number;
    silences: number;
    reopens: number;
  };
  mcu?: McuInfo;
  timeSync?: { uncertaintyMs: number; rttMs: number; at: number };
}

/** The live session with one boot of the MCU (internal to McuSource). */
export interface Session {
  info: McuInfo;
  mapping?: TickMapping;
}

/** McuSourceOptions with every default filled in. */
export type McuSourceSettings = Required<Omit<McuSourceOptions, 'config' | 'channels' | 'clock' | 'log' | 'link'>>;

export function mcuSourceDefaults(o: McuSourceOptions): McuSourceSettings {
  return {
    id: o.id,
    requestTimeoutMs: o.requestTimeoutMs ?? 200,
    requestRetries: o.requestRetries ?? 3,
    silenceFactor: o.silenceFactor ?? 3,
    minSilenceMs: o.minSilenceMs ?? 300,
    handshakeRetryMs: o.handshakeRetryMs ?? 250,
    resetEvery: o.resetEvery ?? 4,
    resetStrategy: o.resetStrategy ?? 'both',
    timeSyncIntervalMs: o.timeSyncIntervalMs ?? 5000,
    timeSyncSamples: o.timeSyncSamples ?? 4,
    driftPpm: o.driftPpm ?? 100,
  };
}

/**
 * What an MCU session starts from and how a dead one is found: the session's info from a
 * HELLO_REPLY (PROTOCOL.md, HELLO), the DTR reset pulse, and the watchdog's verdict on silence.
 * McuSource drives them; nothing here does I/O except through the link it is handed.
 */
import type { WatchedLink } from '../../drivers/serial/link-events.ts';
import type { FrameOf } from './message.ts';
import type { McuInfo } from './mcu-types.ts';

/** The session's facts as the MCU stated them in its HELLO_REPLY; counters start at zero. */
export function sessionInfo(b: FrameOf<'HELLO_REPLY'>['body']): McuInfo {
  return {
    deviceId: b.deviceId,
    bootId: b.bootId,
    firmware: `${b.fwMajor}.${b.fwMinor}.${b.fwPatch}`,
    protocolVersion: b.version,
    capabilities: b.capabilities,
    heartbeatMs: b.heartbeatMs,
    // A tick rate of 0 is not a rate: millisecond ticks, the firmware's default.
    tickHz: b.tickHz > 0 ? b.tickHz : 1000,
    channels: b.channels,
    dropped: 0,
    rxErrors: 0,
    queued: 0,
  };
}

/** Holds DTR low for 20 ms, then high again: the reset line of boards wired like an Arduino's. A link without modem lines is left alone. */
export async function pulseDtr(link: WatchedLink, sleep: (ms: number) => Promise<void>): Promise<void> {
  if (!link.setSignals) return;
  await link.setSignals({ dtr: false }).catch(() => {});
  await sleep(20);
  await link.setSignals({ dtr: true }).catch(() => {});
}

/**
 * The watchdog's verdict, checked every `periodMs`. A check that comes late (more than four
 * periods after the last) means this process was starved and bytes may be waiting unread: that
 * is not the MCU's silence. Only silence seen by two on-time checks in a row is a verdict.
 */
export class SilenceWatch {
  private lastCheckAt: number;
  private suspected = false;

  constructor(
    private readonly periodMs: number,
    now: number,
  ) {
    this.lastCheckAt = now;
  }

  /** `quietMs` since the last valid frame against `limitMs`; undefined when there is no session to judge. True: the MCU is silent. */
  check(now: number, quiet?: { quietMs: number; limitMs: number }): boolean {
    const sinceLastCheck = now - this.lastCheckAt;
    this.lastCheckAt = now;
    if (!quiet) return false;
    if (quiet.quietMs <= quiet.limitMs || sinceLastCheck > this.periodMs * 4) {
      this.suspected = false;
      return false;
    }
    if (!this.suspected) {
      this.suspected = true;
      return false;
    }
    this.suspected = false;
    return true;
  }
}

/**
 * A mock MCU speaking protocol v1 over any ByteLink, built from overridable behaviours (after
 * zwave-js's MockController.defineBehavior): each host frame goes through the behaviours,
 * newest first, until one returns true. The defaults answer HELLO, TIME_SYNC, CONFIG_*,
 * RESET and ACKs, heartbeat on a timer and send queued reports stop-and-wait. A test
 * replaces one to jam the MCU (stop heartbeating, NAK everything, reboot mid-stream).
 */
import type { ByteLink } from '../../drivers/serial/binding.ts';
import { FrameDecoder } from '../host/frame-decoder.ts';
import { encodeWire, HANDSHAKE_VERSION } from '../host/frame.ts';
import type { ChannelDescriptor, McuFrame, MessageBodies, MessageType } from '../host/message.ts';
import { Capability, ConfigKey, HEARTBEAT_FLAG_SESSION, NakReason } from '../host/message.ts';

export interface MockMcuBehaviour {
  name: string;
  /** Return true when the frame is handled; later (older) behaviours then do not see it. */
  onHostFrame?(mcu: MockMcu, frame: McuFrame): boolean | void;
  /** Called before each heartbeat; return true to suppress it. */
  onHeartbeat?(mcu: MockMcu): boolean | void;
  /** Called before any frame goes out; return true to suppress it. */
  onTransmit?(mcu: MockMcu, frame: McuFrame): boolean | void;
}

export interface MockMcuOptions {
  deviceId?: number;
  bootId?: number;
  heartbeatMs?: number;
  tickHz?: number;
  versions?: { min: number; max: number };
  channels?: ChannelDescriptor[];
  retransmitMs?: number;
}

export interface QueuedReport {
  channel: number;
  value: number;
  status: number;
  unit: number;
  exponent: number;
  tick: number;
}

export class MockMcu {
  deviceId: number;
  bootId: number;
  heartbeatMs: number;
  tickHz: number;
  versions: { min: number; max: number };
  channels: ChannelDescriptor[];
  session = false;
  version = 1;
  config = new Map<number, number>();
  /** Every frame the host sent, in order. */
  readonly received: McuFrame[] = [];
  /** Reports the host ACKed, in order, with the boot they belong to. */
  readonly acked: Array<QueuedReport & { seq: number; bootId: number }> = [];
  readonly queue: QueuedReport[] = [];
  private seq = 0;
  private outstanding: { seq: number; wire: Uint8Array; at: number } | undefined;
  private readonly behaviours: MockMcuBehaviour[] = [];
  private readonly decoder = new FrameDecoder();
  private readonly t0 = performance.now();
  private hbTimer: NodeJS.Timeout | undefined;
  private rtxTimer: NodeJS.Timeout | undefined;
  private readonly retransmitMs: number;

  constructor(
    readonly link: ByteLink,
    opts: MockMcuOptions = {},
  ) {
    this.deviceId = opts.deviceId ?? 0x00c0ffee;
    this.bootId = opts.bootId ?? 1;
    this.heartbeatMs = opts.heartbeatMs ?? 50;
    this.tickHz = opts.tickHz ?? 1000;
    this.versions = opts.versions ?? { min: 1, max: 1 };
    this.channels = opts.channels ?? [
      { id: 0, modality: 1, unit: 1 },
      { id: 1, modality: 2, unit: 2 },
    ];
    this.retransmitMs = opts.retransmitMs ?? 40;
    this.config.set(ConfigKey.HEARTBEAT_MS, this.heartbeatMs);
    this.config.set(ConfigKey.REPORT_MS, 100);
    this.config.set(ConfigKey.CHANNEL_MASK, (1 << this.channels.length) - 1);
    for (const b of defaultBehaviours) this.behaviours.push(b);
    link.onData((chunk) => {
      for (const ev of this.decoder.push(chunk)) if (ev.kind === 'frame') this.handle(ev.frame);
    });
  }

  async start(): Promise<void> {
    if (!this.link.isOpen) await this.link.open();
    this.scheduleHeartbeat();
    this.rtxTimer = setInterval(() => this.pump(), Math.max(5, Math.floor(this.retransmitMs / 2)));
  }

  stop(): void {
    clearTimeout(this.hbTimer);
    clearInterval(this.rtxTimer);
  }

  /** Newest behaviour wins. */
  defineBehaviour(b: MockMcuBehaviour): void {
    this.behaviours.unshift(b);
  }

  removeBehaviour(name: string): void {
    const i = this.behaviours.findIndex((b) => b.name === name);
    if (i >= 0) this.behaviours.splice(i, 1);
  }

  tick(): number {
    return Math.floor(((performance.now() - this.t0) * this.tickHz) / 1000) >>> 0;
  }

  send<K extends MessageType>(type: K, body: MessageBodies[K]): number {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    const version = this.session && type !== 'HELLO_REPLY' ? this.version : HANDSHAKE_VERSION;
    const frame = { version, type, seq, body } as McuFrame;
    if (this.behaviours.some((b) => b.onTransmit?.(this, frame) === true)) return seq;
    if (this.link.isOpen) void this.link.write(encodeWire(frame)).catch(() => {});
    return seq;
  }

  /** Queues a report; sent stop-and-wait once a session is up. */
  report(channel: number, value: number, opts: { status?: number; exponent?: number; tick?: number } = {}): void {
    const ch = this.channels.find((c) => c.id === channel);
    this.queue.push({ channel, value, status: opts.status ?? 0, unit: ch?.unit ?? 0, exponent: opts.exponent ?? 0, tick: opts.tick ?? this.tick() });
    this.pump();
  }

  /** Restart: new boot id, no session, queue and outstanding report lost (never ACKed).
   * `announce: false` skips the boot heartbeat (it may be lost on a real line). */
  reboot(opts: { announce?: boolean } = {}): void {
    this.bootId = (this.bootId + 1) >>> 0;
    this.session = false;
    this.seq = 0;
    this.queue.length = 0;
    this.outstanding = undefined;
    if (opts.announce !== false) this.heartbeat();
  }

  heartbeat(): void {
    if (this.behaviours.some((b) => b.onHeartbeat?.(this) === true)) return;
    this.send('HEARTBEAT', { tick: this.tick(), flags: this.session ? HEARTBEAT_FLAG_SESSION : 0, queued: this.queue.length, dropped: 0, rxErrors: 0 });
  }

  /** Called by the default ACK behaviour. */
  acknowledge(reSeq: number): void {
    if (!this.outstanding || this.outstanding.seq !== reSeq) return;
    const r = this.queue.shift()!;
    this.acked.push({ ...r, seq: reSeq, bootId: this.bootId });
    this.outstanding = undefined;
    this.pump();
  }

  /** Retransmits immediately (as after a HELLO). */
  resendOutstanding(): void {
    if (this.outstanding) this.outstanding.at = -Infinity;
    this.pump();
  }

  private pump(): void {
    if (!this.session || this.queue.length === 0 || !this.link.isOpen) return;
    const now = performance.now();
    if (!this.outstanding) {
      const r = this.queue[0]!;
      const seq = this.seq;
      this.seq = (this.seq + 1) & 0xffff;
      const frame: McuFrame = { version: this.version, type: 'SENSOR_REPORT', seq, body: { channel: r.channel, status: r.status, unit: r.unit, exponent: r.exponent, value: r.value, tick: r.tick } };
      this.outstanding = { seq, wire: encodeWire(frame), at: now };
      if (!this.behaviours.some((b) => b.onTransmit?.(this, frame) === true)) void this.link.write(this.outstanding.wire).catch(() => {});
    } else if (now - this.outstanding.at >= this.retransmitMs) {
      this.outstanding.at = now;
      void this.link.write(this.outstanding.wire).catch(() => {});
    }
  }

  private scheduleHeartbeat(): void {
    this.hbTimer = setTimeout(() => {
      this.heartbeat();
      this.scheduleHeartbeat();
    }, this.heartbeatMs);
  }

  private handle(f: McuFrame): void {
    this.received.push(f);
    for (const b of this.behaviours) if (b.onHostFrame?.(this, f) === true) return;
  }
}

// ---- behaviours ----

export const answerHello: MockMcuBehaviour = {
  name: 'answerHello',
  onHostFrame(mcu, f) {
    if (f.type !== 'HELLO') return false;
    const lo = Math.max(f.body.minVersion, mcu.versions.min);
    const hi = Math.min(f.body.maxVersion, mcu.versions.max);
    if (lo > hi) {
      mcu.send('NAK', { reSeq: f.seq, reason: NakReason.BAD_VERSION });
      return true;
    }
    mcu.version = hi;
    mcu.session = true;
    mcu.send('HELLO_REPLY', {
      reSeq: f.seq,
      version: hi,
      fwMajor: 1,
      fwMinor: 0,
      fwPatch: 0,
      deviceId: mcu.deviceId,
      bootId: mcu.bootId,
      capabilities: Capability.TIME_SYNC | Capability.CONFIG | Capability.RESET | Capability.LOG,
      heartbeatMs: mcu.heartbeatMs,
      tickHz: mcu.tickHz,
      channels: mcu.channels,
    });
    mcu.resendOutstanding();
    return true;
  },
};

export const answerTimeSync: MockMcuBehaviour = {
  name: 'answerTimeSync',
  onHostFrame(mcu, f) {
    if (f.type !== 'TIME_SYNC') return false;
    mcu.send('TIME_SYNC_REPLY', { reSeq: f.seq, tick: mcu.tick() });
    return true;
  },
};

export const answerConfig: MockMcuBehaviour = {
  name: 'answerConfig',
  onHostFrame(mcu, f) {
    if (f.type === 'CONFIG_SET') {
      if (!mcu.config.has(f.body.key)) mcu.send('NAK', { reSeq: f.seq, reason: NakReason.BAD_KEY });
      else {
        mcu.config.set(f.body.key, f.body.value);
        if (f.body.key === ConfigKey.HEARTBEAT_MS) mcu.heartbeatMs = f.body.value;
        mcu.send('ACK', { reSeq: f.seq });
      }
      return true;
    }
    if (f.type === 'CONFIG_GET') {
      const v = mcu.config.get(f.body.key);
      if (v === undefined) mcu.send('NAK', { reSeq: f.seq, reason: NakReason.BAD_KEY });
      else mcu.send('CONFIG_VALUE', { reSeq: f.seq, key: f.body.key, value: v });
      return true;
    }
    return false;
  },
};

export const answerReset: MockMcuBehaviour = {
  name: 'answerReset',
  onHostFrame(mcu, f) {
    if (f.type !== 'RESET') return false;
    mcu.send('ACK', { reSeq: f.seq });
    mcu.reboot();
    return true;
  },
};

export const takeAcks: MockMcuBehaviour = {
  name: 'takeAcks',
  onHostFrame(mcu, f) {
    if (f.type !== 'ACK') return false;
    mcu.acknowledge(f.body.reSeq);
    return true;
  },
};

const defaultBehaviours = [answerHello, answerTimeSync, answerConfig, answerReset, takeAcks];

/** The MCU hangs: transmits nothing at all until the behaviour is removed (or a RESET clears it, when clearOnReset). */
export function goSilent(opts: { clearOnReset?: boolean } = {}): MockMcuBehaviour {
  const b: MockMcuBehaviour = {
    name: 'goSilent',
    onTransmit: () => true,
    onHostFrame(mcu, f) {
      if (opts.clearOnReset && f.type === 'RESET') {
        mcu.removeBehaviour('goSilent');
        mcu.reboot();
        return true;
      }
      return true; // a hung MCU handles nothing
    },
  };
  return b;
}

/** Only heartbeats stop; everything else still works. */
export const stopHeartbeating: MockMcuBehaviour = { name: 'stopHeartbeating', onHeartbeat: () => true };

/** Refuses every request of the given types with `reason`. */
export function replyNak(types: readonly MessageType[], reason: number): MockMcuBehaviour {
  return {
    name: 'replyNak',
    onHostFrame(mcu, f) {
      if (!types.includes(f.type)) return false;
      mcu.send('NAK', { reSeq: f.seq, reason });
      return true;
    },
  };
}

/** Reboots right after the host ACKs the n-th report, as a brown-out mid-stream would. */
export function rebootAfterAcks(n: number): MockMcuBehaviour {
  let seen = 0;
  return {
    name: 'rebootAfterAcks',
    onHostFrame(mcu, f) {
      if (f.type !== 'ACK') return false;
      mcu.acknowledge(f.body.reSeq);
      if (++seen === n) mcu.reboot();
      return true;
    },
  };
}

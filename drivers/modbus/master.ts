import { Backoff } from '../../core/backoff.ts';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { watchLink, type WatchedLink } from '../serial/link-events.ts';
import { crcOk } from './crc16.ts';
import { isExceptionCode, ModbusError, ModbusErrorCode } from './errors.ts';
import { decodeResponse, encodeRequest, responseLength, type ModbusRequest } from './frames.ts';

export interface ModbusMasterOptions {
  link: WatchedLink;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** Per-request response timeout (default 500 ms). */
  timeoutMs?: number;
  /**
   * Floor under the 3.5-character silence that ends a frame. USB serial adapters deliver
   * bytes in bursts (FTDI's latency timer defaults to 16 ms), so a strict t3.5 splits frames;
   * default 20 ms. Well-formed responses end as soon as their expected length is in.
   */
  minSilenceMs?: number;
  /** Time a broadcast write waits before the next request (Modbus over Serial Line §2.4.1 "turnaround delay"). */
  turnaroundMs?: number;
  /** Consecutive failures (timeouts, CRC errors) before a slave is marked down (default 3). */
  failuresBeforeDown?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface SlaveHealth {
  slave: number;
  state: 'up' | 'down';
  consecutiveFailures: number;
  /** While down: when the next probe request may go on the bus (clock ms). */
  nextProbeAt?: number;
  lastError?: string;
}

interface Job {
  req: ModbusRequest;
  adu: Uint8Array;
  resolve: (regs: Uint16Array) => void;
  reject: (e: ModbusError) => void;
}

/**
 * Modbus RTU master: one request in flight on the bus, a timeout per request, and slaves
 * isolated from each other: a slave that stops answering is marked down after a few
 * failures and only probed again after a capped, doubling backoff, so it costs the bus at
 * most one timeout per backoff period and never holds up the other slaves.
 */
export class ModbusRtuMaster {
  /** Silence that ends a frame: 3.5 character times, fixed at 1.75 ms above 19200 baud (Modbus over Serial Line V1.02 §2.5.1.1). */
  readonly t35Ms: number;
  readonly silenceMs: number;
  readonly errors = new ErrorCounter<ModbusErrorCode>();
  private readonly link: WatchedLink;
  private readonly timeoutMs: number;
  private readonly turnaroundMs: number;
  private readonly failuresBeforeDown: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly queue: Job[] = [];
  private readonly slaves = new Map<number, SlaveHealth & { backoff: Backoff }>();
  private current: Job | undefined;
  private rx: number[] = [];
  private busy = false;
  private lastByteAt = -Infinity;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private discarded = 0;

  constructor(o: ModbusMasterOptions) {
    this.link = o.link;
    const bitsPerChar = 1 + (o.dataBits ?? 8) + ((o.parity ?? 'none') === 'none' ? 0 : 1) + (o.stopBits ?? 1);
    this.t35Ms = o.baudRate > 19_200 ? 1.75 : (3.5 * bitsPerChar * 1000) / o.baudRate;
    this.silenceMs = Math.max(this.t35Ms, o.minSilenceMs ?? 20);
    this.timeoutMs = o.timeoutMs ?? 500;
    this.turnaroundMs = o.turnaroundMs ?? 100;
    this.failuresBeforeDown = o.failuresBeforeDown ?? 3;
    this.backoffMinMs = o.backoffMinMs ?? 1_000;
    this.backoffMaxMs = o.backoffMaxMs ?? 60_000;
    this.clock = o.clock ?? systemClock;
    this.log = (o.logger ?? silentLogger).child('master');
    this.link.onData((c) => this.onData(c));
    // A request cut off by a lost port fails now as MODBUS_LINK_CLOSED, not later as a timeout counted against its slave.
    watchLink(this.link, { lost: () => this.onLinkClosed(), opened: () => {}, closed: () => this.onLinkClosed() });
  }

  readHoldingRegisters(slave: number, address: number, count: number): Promise<Uint16Array> {
    return this.request({ slave, fn: 3, address, count });
  }

  readInputRegisters(slave: number, address: number, count: number): Promise<Uint16Array> {
    return this.request({ slave, fn: 4, address, count });
  }

  async writeSingleRegister(slave: number, address: number, value: number): Promise<void> {
    await this.request({ slave, fn: 6, address, count: 1, values: [value] });
  }

  async writeMultipleRegisters(slave: number, address: number, values: readonly number[]): Promise<void> {
    await this.request({ slave, fn: 16, address, count: values.length, values });
  }

  /** Bytes that arrived with no request in flight, or after a response was complete. */
  get discardedBytes(): number {
    return this.discarded;
  }

  slaveHealth(slave: number): SlaveHealth {
    const s = this.slaves.get(slave);
    if (!s) return { slave, state: 'up', consecutiveFailures: 0 };
    const { backoff: _b, ...h } = s;
    return { ...h };
  }

  request(req: ModbusRequest): Promise<Uint16Array> {
    let adu: Uint8Array;
    try {
      adu = encodeRequest(req);
    } catch (e) {
      // A refused request (MODBUS_BAD_REQUEST) is the caller's to count; anything else is counted here.
      const err = this.coded(e, req);
      if (err.code === ModbusErrorCode.Internal) this.errors.count(err.code);
      return Promise.reject(err);
    }
    const refused = this.refuseIfDown(req.slave);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      this.queue.push({ req, adu, resolve, reject });
      this.pump();
    });
  }

  private refuseIfDown(slave: number): ModbusError | undefined {
    const s = this.slaves.get(slave);
    if (!s || s.state === 'up' || this.clock.now() >= (s.nextProbeAt ?? 0)) return undefined;
    this.errors.count(ModbusErrorCode.SlaveDown);
    return new ModbusError(ModbusErrorCode.SlaveDown, `slave ${slave} is down; next probe at ${s.nextProbeAt}`, { slave, nextProbeAt: s.nextProbeAt });
  }

  private pump(): void {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    // The slave may have gone down while this request waited behind another one to it.
    const refused = this.refuseIfDown(job.req.slave);
    if (refused) {
      job.reject(refused);
      this.pump();
      return;
    }
    this.busy = true;
    const quietFor = performance.now() - this.lastByteAt;
    const wait = Math.max(0, this.silenceMs - quietFor);
    setTimeout(() => this.send(job), Math.ceil(wait));
  }

  private send(job: Job): void {
    if (!this.link.isOpen) {
      this.finish(job, new ModbusError(ModbusErrorCode.LinkClosed, `${this.link.endpoint} is not open`, { slave: job.req.slave }));
      return;
    }
    this.current = job;
    this.rx = [];
    this.link.write(job.adu).catch((e: unknown) => {
      if (this.current === job) this.finish(job, new ModbusError(ModbusErrorCode.LinkClosed, `write failed: ${(e as Error).message}`, { slave: job.req.slave }));
    });
    const broadcast = job.req.slave === 0;
    this.timeoutTimer = setTimeout(
      () => {
        if (this.current !== job) return;
        if (broadcast) this.finish(job, new Uint16Array(0));
        else this.finish(job, new ModbusError(ModbusErrorCode.Timeout, `slave ${job.req.slave} function ${job.req.fn}: no answer in ${this.timeoutMs} ms`, { slave: job.req.slave, function: job.req.fn }));
      },
      broadcast ? this.turnaroundMs : this.timeoutMs,
    );
  }

  private onData(chunk: Uint8Array): void {
    this.lastByteAt = performance.now();
    const job = this.current;
    if (!job || job.req.slave === 0) {
      this.discarded += chunk.length;
      return;
    }
    for (const b of chunk) this.rx.push(b);
    if (this.tryComplete(job)) return;
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    // A frame that stops short ends at the inter-frame silence, not at the request timeout.
    this.silenceTimer = setTimeout(() => {
      if (this.current === job) this.completeFrame(job, Uint8Array.from(this.rx));
    }, Math.ceil(this.silenceMs));
  }

  /**
   * Looks for the answer in what arrived: it starts with the slave address and the function
   * (or its exception form) and carries a valid CRC. Line noise before it is skipped and
   * counted as discarded, so a glitch on the bus does not cost a good response.
   */
  private tryComplete(job: Job): boolean {
    const rx = this.rx;
    const fn = job.req.fn;
    for (let k = 0; k + 1 < rx.length; k++) {
      if (rx[k] !== job.req.slave || (rx[k + 1] !== fn && rx[k + 1] !== (fn | 0x80))) continue;
      const want = rx[k + 1] === fn ? responseLength(job.req) : 5;
      if (rx.length - k < want) return false;
      const frame = Uint8Array.from(rx.slice(k, k + want));
      if (crcOk(frame)) {
        this.discarded += rx.length - want;
        this.completeFrame(job, frame);
        return true;
      }
    }
    return false;
  }

  private completeFrame(job: Job, frame: Uint8Array): void {
    try {
      this.finish(job, decodeResponse(job.req, frame));
    } catch (e) {
      this.finish(job, this.coded(e, job.req));
    }
  }

  /** What the codec threw, as a ModbusError: its own, or anything else (a bug here) as MODBUS_INTERNAL, logged. */
  private coded(e: unknown, req: ModbusRequest): ModbusError {
    if (e instanceof ModbusError) return e;
    this.log.error('Modbus codec failed', { slave: req.slave, function: req.fn, code: ModbusErrorCode.Internal, error: e });
    return new ModbusError(ModbusErrorCode.Internal, `slave ${req.slave} function ${req.fn}: codec failed (${e instanceof Error ? e.message : String(e)})`, { slave: req.slave, function: req.fn }, { cause: e });
  }

  private finish(job: Job, result: Uint16Array | ModbusError): void {
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.timeoutTimer = this.silenceTimer = undefined;
    this.current = undefined;
    this.busy = false;
    if (job.req.slave !== 0) this.record(job.req.slave, result);
    if (result instanceof ModbusError) {
      this.errors.count(result.code);
      job.reject(result);
    } else {
      job.resolve(result);
    }
    this.pump();
  }

  private record(slave: number, result: Uint16Array | ModbusError): void {
    let s = this.slaves.get(slave);
    if (!s) {
      // No jitter: one master polls its own bus, there is no fleet to desynchronise.
      s = { slave, state: 'up', consecutiveFailures: 0, backoff: new Backoff({ initialMs: this.backoffMinMs, maxMs: this.backoffMaxMs, jitter: 0 }) };
      this.slaves.set(slave, s);
    }
    // An exception answer proves the slave is alive; only silence and garbled frames count against it
    // (not a closed port, nor a bug here decoding a CRC-valid answer).
    const failed = result instanceof ModbusError && !isExceptionCode(result.code) && result.code !== ModbusErrorCode.LinkClosed && result.code !== ModbusErrorCode.Internal;
    if (!failed) {
      if (s.state === 'down') this.log.info(`slave ${slave} is back`, { slave });
      s.state = 'up';
      s.consecutiveFailures = 0;
      s.backoff.reset();
      delete s.nextProbeAt;
      return;
    }
    s.consecutiveFailures++;
    s.lastError = result.code;
    if (s.state === 'down') {
      s.nextProbeAt = this.clock.now() + s.backoff.next();
    } else if (s.consecutiveFailures >= this.failuresBeforeDown) {
      s.state = 'down';
      s.nextProbeAt = this.clock.now() + s.backoff.next();
      this.log.warn(`slave ${slave} marked down`, { slave, failures: s.consecutiveFailures, code: result.code });
    }
  }

  private onLinkClosed(): void {
    const job = this.current;
    if (job) this.finish(job, new ModbusError(ModbusErrorCode.LinkClosed, `${this.link.endpoint} closed`, { slave: job.req.slave }));
    for (const q of this.queue.splice(0)) q.reject(new ModbusError(ModbusErrorCode.LinkClosed, `${this.link.endpoint} closed`, { slave: q.req.slave }));
  }
}

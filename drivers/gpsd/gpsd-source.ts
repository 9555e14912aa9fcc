import { systemClock, type Clock } from '../../core/clock.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import { logRejects, RejectLog, type RejectLogRate } from '../../core/reject-log.ts';
import type { Reading, ReadingQuality, ReadingSource, SourceHealth } from '../../core/reading.ts';
import { sourceHealth } from '../../core/reading.ts';
import { LineFramer } from '../framing/line-framer.ts';
import { DEFAULT_UERE_M } from '../nmea/fix-accumulator.ts';
import { GnssErrorCode } from '../nmea/errors.ts';
import type { FixQuality } from '../nmea/fix-quality.ts';
import type { GnssValue } from '../nmea/gnss-reading.ts';
import { checkGnssTime, type GnssTimeCheckOptions } from '../nmea/gnss-time.ts';
import { isPlausible, type PlausibleQuantity } from '../nmea/plausibility.ts';
import type { BackoffOptions } from '../../core/backoff.ts';
import { ReconnectingLink } from '../serial/reconnecting-link.ts';
import { TcpLink } from '../serial/tcp-link.ts';
import type { Timers } from '../../core/timers.ts';
import { GpsdErrorCode } from './errors.ts';
import { decodeGpsdLine, type GpsdGst, type GpsdSky, type GpsdTpv } from './gpsd-json.ts';

/*
 * Why not node-gpsd-client (it is installed): its reconnect is a setInterval that is never
 * cleared (a stopped source keeps the process alive and keeps reconnecting), it reads the wall
 * clock directly (no injected clock or timers), it only reconnects after a silence threshold
 * rather than on close, its line buffer grows without bound on input without newlines, and a
 * malformed line is emitted as an 'error' event that throws when nobody listens. gpsd's
 * protocol is newline-delimited JSON over TCP, so the source speaks it over our own TcpLink
 * under the same ReconnectingLink supervisor (capped backoff with jitter) as serial ports.
 */

export interface GpsdSourceOptions {
  id: string;
  host?: string;
  port?: number;
  /** Only reports from this gpsd device path (gpsd may serve several receivers). */
  device?: string;
  clock?: Clock;
  timers?: Timers;
  backoff?: BackoffOptions;
  /** No reading for longer than this (ms) → `stale`. Default 5000. */
  staleAfterMs?: number;
  uereM?: Partial<Record<FixQuality, number>>;
  time?: GnssTimeCheckOptions;
  logger?: Logger;
  /** Rejections logged in detail per interval (the rest counted and summarised). Default 5 per 10 s. */
  rejectLog?: RejectLogRate;
}

/** gpsd TPV `status` → NMEA-style fix quality (gpsd_json(5), TPV "status"). */
const STATUS_QUALITY: Record<number, FixQuality> = { 1: 'gps', 2: 'dgps', 3: 'rtk-fixed', 4: 'rtk-float', 5: 'estimated', 6: 'estimated', 7: 'invalid', 8: 'simulator' };
/** Longest gpsd line kept; a SKY report with 60+ satellites is a few kB. */
const MAX_LINE = 65_536;
/** A GST is used for a TPV when their times are this close (gpsd sends GST after the TPV of its epoch). */
const GST_MATCH_MS = 1500;

/**
 * GNSS through a gpsd daemon: subscribes with `?WATCH={"enable":true,"json":true}`, merges
 * TPV with the latest SKY (HDOP, satellites) and GST (1σ lat/lon errors) into Readings, and
 * survives gpsd restarts by reconnecting with backoff and re-subscribing.
 *
 * Accuracy (DRMS, as for NMEA): GST sqrt(σlat² + σlon²) when a GST matches the TPV's epoch;
 * else SKY HDOP × UERE(fix quality) (see DEFAULT_UERE_M); else gpsd's `eph` / 2, since eph is
 * a 95 % (≈ 2DRMS) figure.
 */
export class GpsdSource implements ReadingSource {
  readonly id: string;
  private readonly link: ReconnectingLink;
  private readonly framer = new LineFramer({ maxLength: MAX_LINE });
  private readonly errors = new ErrorCounter<GpsdErrorCode | GnssErrorCode>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly uere: Partial<Record<FixQuality, number>>;
  private readonly rejects: RejectLog<GpsdErrorCode>;
  private onReading: ((r: Reading) => void) | undefined;
  private sky: GpsdSky | undefined;
  private gst: GpsdGst | undefined;
  private readings = 0;
  private lastReadingAt: number | undefined;
  private lastMode: number | undefined;
  private subscribed = 0;

  constructor(private readonly options: GpsdSourceOptions) {
    this.id = options.id;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child(`gpsd:${options.id}`);
    this.uere = { ...DEFAULT_UERE_M, ...options.uereM };
    this.rejects = new RejectLog({ clock: this.clock, ...options.rejectLog, write: logRejects(this.log, 'report(s)') });
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 2947;
    const linkOptions: ConstructorParameters<typeof ReconnectingLink>[0] = {
      path: `tcp://${host}:${port}`,
      createLink: () => new TcpLink({ host, port }),
      resolvePath: (p) => Promise.resolve(p),
      backoff: options.backoff ?? { initialMs: 250, maxMs: 10_000 },
      clock: this.clock,
      logger: options.logger ?? silentLogger,
    };
    if (options.timers) linkOptions.timers = options.timers;
    this.link = new ReconnectingLink(linkOptions);
    this.link.onData((chunk) => this.push(chunk));
    this.link.onStateChange((s) => {
      if (s !== 'open') return;
      // A fresh connection: drop any half line from the previous one, then subscribe again.
      if (this.framer.flush().length > 0) this.errors.count(GpsdErrorCode.PartialLine);
      this.subscribed++;
      this.link.write(new TextEncoder().encode('?WATCH={"enable":true,"json":true}\n')).catch((e: Error) => {
        this.errors.count(GpsdErrorCode.WatchFailed);
        this.log.warn('could not subscribe', { error: e.message });
      });
    });
  }

  async start(onReading: (r: Reading) => void): Promise<void> {
    this.onReading = onReading;
    await this.link.open();
  }

  async stop(): Promise<void> {
    this.onReading = undefined;
    this.rejects.flush();
    await this.link.close();
  }

  health(): SourceHealth {
    const link = this.link.health();
    const now = this.clock.now();
    let state: SourceHealth['state'];
    if (link.state === 'down' || link.state === 'closed') state = 'down';
    else if (link.state === 'connecting' || link.state === 'idle') state = link.opens === 0 ? 'starting' : 'down';
    else if (this.lastReadingAt === undefined) state = 'starting';
    else if (now - this.lastReadingAt > (this.options.staleAfterMs ?? 5000)) state = 'stale';
    else state = 'up';
    const details = [`gpsd ${link.endpoint}`, `connections ${link.opens}`];
    if (link.lastError && state !== 'up') details.push(link.lastError);
    if (this.lastMode !== undefined && this.lastMode < 2) details.push('gpsd reports no fix');
    return sourceHealth({ source: this.id, state, readings: this.readings, errors: { ...link.errors, ...this.errors.snapshot() }, discardedBytes: this.framer.discardedBytes, lastReadingAt: this.lastReadingAt, detail: details.join('; ') });
  }

  private push(chunk: Uint8Array): void {
    this.rejects.tick();
    for (const ev of this.framer.push(chunk)) {
      if (ev.kind === 'discarded') {
        this.errors.count(GpsdErrorCode.LineTooLong, ev.runs);
        this.rejects.reject(GpsdErrorCode.LineTooLong, `line over ${MAX_LINE} bytes dropped`);
        continue;
      }
      const r = decodeGpsdLine(new TextDecoder().decode(ev.bytes));
      if (!r.ok) {
        // VERSION, DEVICES, WATCH and friends are expected replies; only count them.
        this.errors.count(r.code);
        if (r.code !== GpsdErrorCode.Unsupported) this.rejects.reject(r.code, r.reason);
        continue;
      }
      for (const bad of r.badFields) {
        // A malformed minor field is left out and counted; the rest of the report is used.
        this.errors.count(GpsdErrorCode.BadField);
        this.rejects.reject(GpsdErrorCode.BadField, `${r.report.class} ${bad} (left out, rest of report kept)`);
      }
      const rep = r.report;
      if (this.options.device !== undefined && rep.device !== undefined && rep.device !== this.options.device) continue;
      if (rep.class === 'SKY') this.sky = rep;
      else if (rep.class === 'GST') this.gst = rep;
      else this.tpv(rep);
    }
  }

  private tpv(t: GpsdTpv): void {
    this.lastMode = t.mode;
    if (t.mode < 2 || t.lat === undefined || t.lon === undefined) {
      this.errors.count(GnssErrorCode.NoFix);
      return;
    }
    const fixQuality = STATUS_QUALITY[t.status ?? 1] ?? 'gps';
    const value: GnssValue = { lat: t.lat, lon: t.lon, fixMode: t.mode === 3 ? '3d' : '2d' };
    // The NMEA plausibility bounds (drivers/nmea/README.md) apply to gpsd's values too: an
    // implausible one is left out and named in the status, and the reading is not ok.
    const implausible: PlausibleQuantity[] = [];
    const plausible = (q: PlausibleQuantity, v: number | undefined): number | undefined => {
      if (v === undefined || isPlausible(q, v)) return v;
      implausible.push(q);
      this.errors.count(GnssErrorCode.Implausible);
      return undefined;
    };
    const alt = plausible('altMslM', t.altMslM);
    const speed = plausible('speedMps', t.speedMps);
    const track = plausible('trackDeg', t.trackDeg);
    if (alt !== undefined) value.alt = alt;
    if (speed !== undefined) value.speedMps = speed;
    if (track !== undefined) value.trackDeg = track;
    const now = this.clock.now();
    if (t.timeMs !== undefined) {
      const check = checkGnssTime(t.timeMs, now, this.options.time);
      value.gnssTime = check.ms;
      value.gnssTimeStatus = check.status;
      if (check.status === 'implausible') this.errors.count(GnssErrorCode.TimeImplausible);
    }
    const valid = fixQuality !== 'estimated' && fixQuality !== 'invalid' && fixQuality !== 'simulator';
    const gst = this.gst;
    const hdop = plausible('hdop', this.sky?.hdop);
    const gstMatches = gst?.timeMs !== undefined && t.timeMs !== undefined && Math.abs(gst.timeMs - t.timeMs) <= GST_MATCH_MS;
    // Sigma bounds hold on a valid fix only (receivers send large sigmas while searching).
    const latSigma = gstMatches && valid ? plausible('latSigmaM', gst.latSigmaM) : gst?.latSigmaM;
    const lonSigma = gstMatches && valid ? plausible('lonSigmaM', gst.lonSigmaM) : gst?.lonSigmaM;
    const status = [`${value.fixMode} ${fixQuality}`];
    if (implausible.length > 0) status.push(`implausible:${implausible.join(',')}`);
    const quality: ReadingQuality = { ok: valid && implausible.length === 0, status: status.join(' ') };
    if (hdop !== undefined) quality.hdop = hdop;
    if (gstMatches && latSigma !== undefined && lonSigma !== undefined) {
      quality.accuracyM = Math.hypot(latSigma, lonSigma);
      quality.status += ' accuracy:gst';
    } else if (hdop !== undefined && this.uere[fixQuality] !== undefined) {
      quality.accuracyM = hdop * this.uere[fixQuality]!;
      quality.status += ' accuracy:hdop';
    } else if (t.ephM !== undefined) {
      quality.accuracyM = t.ephM / 2;
      quality.status += ' accuracy:eph';
    }
    this.readings++;
    this.lastReadingAt = now;
    this.onReading?.({ source: this.id, modality: 'gnss', t: now, value, quality });
  }
}

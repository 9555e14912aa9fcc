/**
 * The simulated-MCU rig: socat pty pairs, the firmware's host build (`pm-sim`) on one end,
 * and optionally a NoisyRelay in the middle so a test controls the "cable". Used by the
 * firmware-bridge tests and by hil/ (re-exported from hil/mcu-sim.ts).
 *
 *   direct:  host ─ DIR/host ═socat═ DIR/mcu ─ pm-sim
 *   relay:   host ─ DIR/host ═socat═ DIR/relay-h ─ NoisyRelay ─ DIR/relay-m ═socat═ DIR/mcu ─ pm-sim
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NoisyRelay } from './noisy-relay.ts';

const firmwareDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'firmware');
export const PM_SIM = join(firmwareDir, 'build', 'pm-sim');

/** Builds the host firmware (make is incremental, so this is cheap when up to date). */
export function buildFirmware(): string {
  execFileSync('make', ['-s', '-C', firmwareDir, 'sim'], { stdio: 'pipe' });
  return PM_SIM;
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`rig: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface SocatPair {
  a: string;
  b: string;
  proc: ChildProcess;
}

export async function startSocatPair(a: string, b: string): Promise<SocatPair> {
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.resume();
  await waitFor(`socat ptys ${a} ${b}`, () => existsSync(a) && existsSync(b));
  return { a, b, proc };
}

export interface FirmwareBoot {
  bootId: number;
  /** Host wall-clock ms (CLOCK_REALTIME) at which the MCU tick counter read 0. */
  tick0UnixMs: number;
  /** How far tick0UnixMs may be off (the firmware brackets its clock reads). */
  tick0ErrMs: number;
}

export interface FirmwareOptions {
  deviceId?: number;
  heartbeatMs?: number;
  reportMs?: number;
  silentAfterMs?: number;
  sensorFault?: number;
  ackLog?: string;
  /** A file of channel values the simulated sensors read at each sample (hal_host.c --world). */
  world?: string;
}

/** One pm-sim process; `boots` grows each time it (re-)executes itself on RESET. */
export class FirmwareProcess {
  readonly boots: FirmwareBoot[] = [];
  stderr = '';
  private constructor(readonly proc: ChildProcess) {}

  static async start(port: string, o: FirmwareOptions = {}): Promise<FirmwareProcess> {
    const args = ['--port', port];
    if (o.deviceId !== undefined) args.push('--device-id', String(o.deviceId));
    if (o.heartbeatMs !== undefined) args.push('--heartbeat-ms', String(o.heartbeatMs));
    if (o.reportMs !== undefined) args.push('--report-ms', String(o.reportMs));
    if (o.silentAfterMs !== undefined) args.push('--silent-after-ms', String(o.silentAfterMs));
    if (o.sensorFault !== undefined) args.push('--sensor-fault', String(o.sensorFault));
    if (o.ackLog !== undefined) args.push('--ack-log', o.ackLog);
    if (o.world !== undefined) args.push('--world', o.world);
    const fw = new FirmwareProcess(spawn(PM_SIM, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let buf = '';
    fw.proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /PM-SIM ready boot_id=(\d+) tick0_unix_ms=([\d.]+) tick0_err_ms=([\d.]+)/.exec(line);
        if (m) fw.boots.push({ bootId: Number(m[1]), tick0UnixMs: Number(m[2]), tick0ErrMs: Number(m[3]) });
      }
    });
    fw.proc.stderr!.on('data', (c: Buffer) => {
      fw.stderr += c.toString();
    });
    await waitFor('pm-sim ready', () => fw.boots.length > 0 || fw.proc.exitCode !== null);
    if (fw.boots.length === 0) throw new Error(`pm-sim exited: ${fw.stderr}`);
    return fw;
  }

  bootById(bootId: number): FirmwareBoot | undefined {
    return this.boots.find((b) => b.bootId === bootId);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill(signal);
    await exited;
  }
}

export interface PtyRig {
  dir: string;
  /** The path the host opens. */
  hostPath: string;
  mcuPath: string;
  relay?: NoisyRelay;
  firmware: FirmwareProcess;
  /** Kills the firmware and starts a fresh process on the same pty (a power cycle). */
  restartFirmware(o?: FirmwareOptions): Promise<FirmwareProcess>;
  close(): Promise<void>;
}

export async function startPtyRig(o: { relay?: boolean; firmware?: FirmwareOptions; seed?: number } = {}): Promise<PtyRig> {
  buildFirmware();
  const dir = mkdtempSync(join(tmpdir(), 'pm-rig-'));
  const pairs: SocatPair[] = [];
  let relay: NoisyRelay | undefined;
  const hostPath = join(dir, 'host');
  const mcuPath = join(dir, 'mcu');
  if (o.relay) {
    pairs.push(await startSocatPair(hostPath, join(dir, 'relay-h')));
    pairs.push(await startSocatPair(join(dir, 'relay-m'), mcuPath));
    relay = new NoisyRelay(join(dir, 'relay-h'), join(dir, 'relay-m'), o.seed ?? 1);
    await relay.open();
  } else {
    pairs.push(await startSocatPair(hostPath, mcuPath));
  }
  const fwOpts = o.firmware ?? {};
  let firmware = await FirmwareProcess.start(mcuPath, fwOpts);
  const rig: PtyRig = {
    dir,
    hostPath,
    mcuPath,
    firmware,
    async restartFirmware(next?: FirmwareOptions) {
      await firmware.kill('SIGKILL');
      firmware = await FirmwareProcess.start(mcuPath, next ?? fwOpts);
      rig.firmware = firmware;
      return firmware;
    },
    async close() {
      await firmware.kill('SIGKILL');
      await relay?.close();
      for (const p of pairs) {
        // Already gone (a terminal's Ctrl-C reaches socat too) means no 'exit' event is still to come.
        const exited = new Promise<void>((r) => (p.proc.exitCode !== null || p.proc.signalCode !== null ? r() : p.proc.once('exit', () => r())));
        p.proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (relay) rig.relay = relay;
  return rig;
}

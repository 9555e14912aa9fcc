import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModbusSource, type ModbusSlaveConfig, type ModbusSourceOptions } from '../../../drivers/modbus/modbus-source.ts';
import { ReconnectingLink } from '../../../drivers/serial/reconnecting-link.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';
import { SocatPtyPair } from '../../../hil/pty.ts';
import { SimulatedModbusSlave } from '../../../hil/modbus-slave.ts';

export interface PtyPair {
  a: string;
  b: string;
  close(keepDir?: boolean): Promise<void>;
}

/**
 * Two connected ptys (hil/pty.ts: socat, raw, no echo), links in a fresh temporary directory,
 * or in `reuseDir` to recreate a pair under the same names (a device coming back after unplug).
 */
export async function openPtyPair(reuseDir?: string): Promise<PtyPair & { dir: string }> {
  const dir = reuseDir ?? mkdtempSync(path.join(tmpdir(), 'place-pty-'));
  const pair = new SocatPtyPair(path.join(dir, 'a'), path.join(dir, 'b'));
  await pair.start();
  return {
    a: pair.linkA,
    b: pair.linkB,
    dir,
    /** Stops socat (both ptys vanish); `keepDir` leaves the directory for a recreated pair. */
    close: async (keepDir = false) => {
      await pair.kill();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A simulated Modbus bus (no units yet) on the `b` end of a new pty pair; the master opens `a`. */
export async function slaveOnPty(baudRate: number, reuseDir?: string): Promise<{ pty: PtyPair & { dir: string }; slave: SimulatedModbusSlave }> {
  const pty = await openPtyPair(reuseDir);
  const slave = new SimulatedModbusSlave({ path: pty.b, baudRate });
  await slave.open();
  return { pty, slave };
}

/** slaveOnPty for each test of the calling describe block, closed after it (read `pty` and `slave` inside a test). */
export function slaveOnPtyPerTest(baudRate: number): { readonly pty: PtyPair; readonly slave: SimulatedModbusSlave } {
  let bus: { pty: PtyPair; slave: SimulatedModbusSlave } | undefined;
  beforeEach(async () => {
    bus = await slaveOnPty(baudRate);
  });
  afterEach(async () => {
    await bus?.slave.close();
    await bus?.pty.close();
    bus = undefined;
  });
  return {
    get pty() {
      return bus!.pty;
    },
    get slave() {
      return bus!.slave;
    },
  };
}

/** Resolves once `cond` holds, checking every few ms; the test's own timeout bounds it. */
export async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > 20_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A pty opened the way the agent opens every serial port (agent/runtime/sources.ts,
 * supervisedLink): a ReconnectingLink that builds a SerialPortLink on the resolved path at each
 * open, here with short retries so a replug is picked up within a test.
 */
export function supervisedPty(ptyPath: string, baudRate: number): ReconnectingLink {
  return new ReconnectingLink({
    path: ptyPath,
    createLink: (p) => new SerialPortLink({ path: p, baudRate }),
    backoff: { initialMs: 50, maxMs: 200 },
  });
}

/**
 * A ModbusSource polling `slaves` as these pty tests do: id mb0, a 1 s reply timeout (long
 * enough that a loaded machine does not time out a slave that answers), 20 ms between rounds;
 * `more` adds to or overrides these.
 */
export function pollingSource(
  link: ModbusSourceOptions['link'],
  baudRate: number,
  slaves: ModbusSlaveConfig[],
  more: Partial<ModbusSourceOptions> = {},
): ModbusSource {
  return new ModbusSource({ id: 'mb0', link, baudRate, timeoutMs: 1000, intervalMs: 20, slaves, ...more });
}

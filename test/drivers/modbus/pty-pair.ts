import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReconnectingLink } from '../../../drivers/serial/reconnecting-link.ts';
import { SerialPortLink } from '../../../drivers/serial/serialport-link.ts';

export interface PtyPair {
  a: string;
  b: string;
  close(keepDir?: boolean): Promise<void>;
}

/**
 * Two connected ptys from socat (raw, no echo), links in a fresh temporary directory, or in
 * `reuseDir` to recreate a pair under the same names (a device coming back after unplug).
 */
export async function openPtyPair(reuseDir?: string): Promise<PtyPair & { dir: string }> {
  const dir = reuseDir ?? mkdtempSync(path.join(tmpdir(), 'place-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const proc: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // socat prints "starting data transfer loop" once both ends exist.
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (stderr.includes('starting data transfer loop') && existsSync(a) && existsSync(b)) resolve();
      else if (proc.exitCode !== null) reject(new Error(`socat exited: ${stderr}`));
      else setTimeout(check, 10);
    };
    check();
  });
  return {
    a,
    b,
    dir,
    /** Stops socat (both ptys vanish); `keepDir` leaves the directory for a recreated pair. */
    close: async (keepDir = false) => {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        await exited;
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
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

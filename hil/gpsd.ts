import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { acceptsConnections } from './ports.ts';
import { isRunning, stderrOf, stopProcess } from './peer-process.ts';

/**
 * A real gpsd (Debian's 3.22) reading one device, listening on 127.0.0.1 only (no `-G`):
 * foreground (`-N`), polling without clients (`-n`), read-only on the device (`-b`), its
 * control socket in `workDir`. `stop()` and `start()` again on the same port is a gpsd restart.
 */
export class GpsdDaemon {
  private proc: ChildProcess | undefined;

  constructor(
    readonly device: string,
    readonly port: number,
    readonly workDir: string,
  ) {}

  get running(): boolean {
    return isRunning(this.proc);
  }

  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) return;
    const proc = spawn('gpsd', ['-N', '-n', '-b', '-S', String(this.port), '-F', path.join(this.workDir, 'gpsd.sock'), this.device], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    const stderr = stderrOf(proc, 8192);
    const deadline = Date.now() + timeoutMs;
    while (!(await acceptsConnections(this.port))) {
      if (!this.running) throw new Error(`gpsd exited: ${stderr().trim()}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`gpsd did not listen on 127.0.0.1:${this.port}: ${stderr().trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops gpsd (SIGTERM by default, SIGKILL for a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    await stopProcess(this.proc, signal);
    this.proc = undefined;
  }
}

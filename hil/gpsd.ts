import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** Asks the kernel for a free loopback port (bind to 0, read it, release it). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A real gpsd (Debian's 3.22) reading one device, listening on 127.0.0.1 only (no `-G`):
 * foreground (`-N`), polling without clients (`-n`), read-only on the device (`-b`), its
 * control socket in `workDir`. `stop()` and `start()` again on the same port is a gpsd restart.
 */
export class GpsdDaemon {
  private proc: ChildProcess | undefined;
  private stderr = '';

  constructor(
    readonly device: string,
    readonly port: number,
    readonly workDir: string,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) return;
    this.stderr = '';
    const proc = spawn('gpsd', ['-N', '-n', '-b', '-S', String(this.port), '-F', path.join(this.workDir, 'gpsd.sock'), this.device], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += d.toString();
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await canConnect(this.port))) {
      if (!this.running) throw new Error(`gpsd exited: ${this.stderr.trim()}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`gpsd did not listen on 127.0.0.1:${this.port}: ${this.stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops gpsd (SIGTERM by default, SIGKILL for a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
    this.proc = undefined;
  }
}

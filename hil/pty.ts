import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { isRunning, stderrOf, stopProcess } from './peer-process.ts';

/**
 * A virtual null-modem cable: socat joins two ptys and publishes them as symlinks
 * (`a` and `b`), as udev publishes `/dev/serial/by-id/...`. Killing socat is what
 * unplugging a USB receiver looks like to the reader (EIO, the link disappears);
 * `start()` again recreates the pair at the same link paths, on new `/dev/pts/N` nodes.
 */
export class SocatPtyPair {
  private proc: ChildProcess | undefined;

  constructor(
    readonly linkA: string,
    readonly linkB: string,
  ) {}

  get running(): boolean {
    return isRunning(this.proc);
  }

  /** Starts socat and resolves when both links exist (rejects if socat exits first or after `timeoutMs`). */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    // A link left behind by a killed socat would make the new one fail; udev would have removed it.
    for (const l of [this.linkA, this.linkB]) rmSync(l, { force: true });
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.linkA}`, `pty,raw,echo=0,link=${this.linkB}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    const stderr = stderrOf(proc, 4096);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!isRunning(proc)) throw new Error(`socat exited early: ${stderr().trim()}`);
      // socat logs "starting data transfer loop" once both ptys are up and linked.
      if (stderr().includes('starting data transfer loop') && existsSync(this.linkA) && existsSync(this.linkB)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`socat did not create ${this.linkA} and ${this.linkB}: ${stderr().trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Kills socat and waits for it to exit: the ptys vanish as with a yanked cable. SIGTERM lets
   * socat remove its links too, as udev removes a by-id link on unplug; `signal: 'SIGKILL'` leaves them dangling.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    await stopProcess(this.proc, signal);
    this.proc = undefined;
  }
}

/**
 * A test peer's child process (socat, gpsd, swtpm, mosquitto): whether it still runs, what it
 * said on stderr (bounded, for the error when it will not start), and stopping it.
 */
import type { ChildProcess } from 'node:child_process';

/** False once it has exited or been killed by a signal (then no 'exit' event is still to come). */
export function isRunning(proc: ChildProcess | undefined): proc is ChildProcess {
  return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
}

/** Sends `signal` and resolves when the process has exited; at once if it is not running. */
export async function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isRunning(proc)) return;
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}

/** Collects the first `limit` characters of the process's stderr (it must be piped). */
export function stderrOf(proc: ChildProcess, limit: number): () => string {
  let text = '';
  proc.stderr?.on('data', (d: Buffer) => {
    if (text.length < limit) text += d.toString();
  });
  return () => text;
}

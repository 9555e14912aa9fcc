/**
 * A real mosquitto broker for tests: loopback only, an ephemeral port, persistence in a
 * temporary directory (so subscriber sessions survive a restart), stopped and started at will.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

export interface Mosquitto {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

const BIN = ['/usr/sbin/mosquitto', 'mosquitto'];

export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'log_dest none', 'max_queued_messages 0', 'max_inflight_messages 0'].join('\n') + '\n',
  );
  let proc: ChildProcess | undefined;
  const m: Mosquitto = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async start() {
      const bin = BIN[0]!;
      proc = spawn(bin, ['-c', conf], { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
      });
    },
    async dispose() {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await m.start();
  return m;
}

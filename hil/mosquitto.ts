/**
 * A real mosquitto broker for tests: loopback only, an ephemeral port, persistence in a
 * temporary directory (so subscriber sessions survive a restart), stopped and started at will.
 * While stopped, the port stays ours: a placeholder accepts and at once drops connections (to
 * a client, a broker that is down), so no other test's server can take the freed port and
 * quietly accept what our clients publish.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
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
  let holder: Server | undefined;
  const release = async (): Promise<void> => {
    const h = holder;
    holder = undefined;
    if (h) await new Promise<void>((r) => h.close(() => r()));
  };
  const m: Mosquitto = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async start() {
      await release();
      const bin = BIN[0]!;
      const p = spawn(bin, ['-c', conf], { stdio: 'ignore' });
      proc = p;
      await waitForPort(port);
      // Something answering on the port is not enough: it must be this broker.
      await new Promise((r) => setTimeout(r, 50));
      if (p.exitCode !== null) throw new Error(`mosquitto exited (code ${p.exitCode}) instead of listening on 127.0.0.1:${port}`);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
      });
      const h = createServer((socket) => socket.destroy());
      // If another process took the port in the instant since mosquitto exited, start() will
      // notice (mosquitto cannot bind and exits) rather than run against the wrong server.
      const held = await new Promise<boolean>((resolve) => {
        h.once('error', () => resolve(false));
        h.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (held) holder = h;
    },
    async dispose() {
      await m.stop();
      await release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await m.start();
  return m;
}

/**
 * A real mosquitto broker for tests: loopback only, an ephemeral port, persistence in a
 * temporary directory (so subscriber sessions survive a restart), stopped and started at will.
 * While stopped, the port stays ours: a placeholder accepts and at once drops connections (to
 * a client, a broker that is down), so no other test's server can take the freed port and
 * quietly accept what our clients publish.
 *
 * Optionally locked down as a production broker is: a password file (anonymous clients
 * refused) and a TLS listener (mqtts://) with a server certificate, and client certificates
 * required if asked. `configure()` changes these for the next start (a test "fixes" a broker).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';
import { isRunning, stopProcess } from './peer-process.ts';

export interface MosquittoSecurity {
  /** mosquitto_passwd file (see writePasswordFile); anonymous clients are then refused. */
  passwordFile?: string;
  tls?: { caFile: string; certFile: string; keyFile: string; requireClientCert?: boolean };
}

export interface Mosquitto {
  url: string;
  port: number;
  /** Takes effect at the next start(). */
  configure(security: MosquittoSecurity): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

const BIN = ['/usr/sbin/mosquitto', 'mosquitto'];

/** Writes a mosquitto password file (hashed by mosquitto_passwd) for the given users. */
export function writePasswordFile(path: string, users: Record<string, string>): void {
  writeFileSync(path, '', { mode: 0o600 });
  for (const [user, password] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', path, user, password], { stdio: 'ignore' });
}

export async function startMosquitto(security: MosquittoSecurity = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const writeConf = (s: MosquittoSecurity): void => {
    const lines = [`listener ${port} 127.0.0.1`, 'persistence true', `persistence_location ${dir}/`, 'log_dest none', 'max_queued_messages 0', 'max_inflight_messages 0'];
    lines.push(...(s.passwordFile ? ['allow_anonymous false', `password_file ${s.passwordFile}`] : ['allow_anonymous true']));
    // Started as root, mosquitto drops to the `mosquitto` user before it reads the password file
    // and certificates, which sit 0600 in this run's private temporary directories.
    if ((s.passwordFile || s.tls) && process.getuid?.() === 0) lines.push('user root');
    if (s.tls) lines.push(`cafile ${s.tls.caFile}`, `certfile ${s.tls.certFile}`, `keyfile ${s.tls.keyFile}`, `require_certificate ${s.tls.requireClientCert ? 'true' : 'false'}`);
    writeFileSync(conf, lines.join('\n') + '\n');
  };
  writeConf(security);
  let proc: ChildProcess | undefined;
  let holder: Server | undefined;
  const release = async (): Promise<void> => {
    const h = holder;
    holder = undefined;
    if (h) await new Promise<void>((r) => h.close(() => r()));
  };
  const m: Mosquitto = {
    url: `${security.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    configure(s) {
      if (Boolean(s.tls) !== m.url.startsWith('mqtts:')) throw new Error('configure() cannot switch a broker between TLS and plain TCP');
      writeConf(s);
    },
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
      // Already gone (a terminal's Ctrl-C reaches the broker too): no 'exit' event is still to come.
      if (!isRunning(p)) return;
      await stopProcess(p);
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

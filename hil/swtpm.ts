/**
 * Starts a real swtpm (`swtpm socket --tpm2`) on loopback with ephemeral ports and a state
 * directory in a temp dir, for tests, benchmarks and HIL scenarios. `kill()` simulates a
 * crash (SIGKILL, state kept); `restart()` brings it back on the same ports and state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from './peer-process.ts';

export interface SwtpmInstance {
  host: string;
  port: number;
  ctrlPort: number;
  stateDir: string;
  /** `swtpm:host=127.0.0.1,port=P` (tpm2-tools syntax; control port is P+1 unless ctrlport= is given). */
  tcti: string;
  /** SIGTERM, wait for exit, remove the state directory. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), keep the state. */
  kill(): Promise<void>;
  /** Starts swtpm again on the same ports and state (after kill()). */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Two free ports, consecutive so that tpm2-tools' default ctrl port (port + 1) is right. */
async function freePortPair(): Promise<[number, number]> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p >= 65535) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return [p, p + 1];
  }
  throw new Error('no free consecutive port pair on 127.0.0.1');
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startSwtpm(opts: { stateDir?: string } = {}): Promise<SwtpmInstance> {
  const host = '127.0.0.1';
  const [port, ctrlPort] = await freePortPair();
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'swtpm-')));
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    stderr = '';
    const c = spawn(
      'swtpm',
      [
        'socket', '--tpm2',
        '--server', `type=tcp,port=${port},bindaddr=${host}`,
        '--ctrl', `type=tcp,port=${ctrlPort},bindaddr=${host}`,
        '--tpmstate', `dir=${stateDir}`,
        '--flags', 'not-need-init,startup-clear',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child = c;
    let failure: Error | undefined;
    c.once('exit', (code) => (failure ??= new Error(`swtpm exited (${code}): ${stderr}`)));
    // ENOENT when swtpm is not installed (hil/setup-system.sh installs it).
    c.once('error', (e) => (failure ??= new Error(`cannot start swtpm: ${e.message}`)));
    for (let i = 0; i < 200; i++) {
      if (failure) throw failure;
      // Probe the control port: the data port serves one client at a time.
      if (await canConnect(host, ctrlPort)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`swtpm did not listen on ${host}:${ctrlPort}: ${stderr}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = undefined;
    await stopProcess(c, signal);
  };

  await launch();
  return {
    host,
    port,
    ctrlPort,
    stateDir,
    tcti: `swtpm:host=${host},port=${port}`,
    stop: async () => {
      await terminate('SIGTERM');
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGKILL');
      await launch();
    },
  };
}

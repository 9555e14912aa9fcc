/**
 * Start-up checks `run` makes before it opens the store or signs anything, so a taken port or
 * an absent TPM is reported within seconds with its code and exit 3, not after a long retry.
 */
import { createServer, createConnection } from 'node:net';
import { accessSync, constants } from 'node:fs';
import { parseTcti } from '../../drivers/tpm/tcti.ts';
import { CliCode, CliError, type CliErrorCode } from './errors.ts';

/** host:port of the operations endpoint, checked as a listen address. */
export function parseListen(value: string, what: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !/^\d+$/.test(value.slice(i + 1)) || port < 1 || port > 65535) {
    throw new CliError(CliCode.USAGE, `${what} must be HOST:PORT (or off), got ${JSON.stringify(value)}`);
  }
  return { host, port };
}

/** Fails with OPS_PORT_IN_USE naming the port when something already listens there. */
export async function assertListenFree(listen: string, code: CliErrorCode, hint: string): Promise<void> {
  const { host, port } = parseListen(listen, 'the metrics address');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(code, e.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use (another agent?); ${hint}` : `cannot listen on ${host}:${port}: ${e.message}; ${hint}`, { host, port }),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A TPM named by its TCTI answers a connection within `withinMs` (swtpm), or its device is there (device:). */
export async function assertTpmReachable(tcti: string, withinMs = 3000): Promise<void> {
  const t = parseTcti(tcti);
  if (t.kind === 'device') {
    try {
      accessSync(t.path, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new CliError('TPM_UNREACHABLE', `TPM device ${t.path}: ${(e as Error).message}`, { tcti });
    }
    return;
  }
  const deadline = Date.now() + withinMs;
  let last = '';
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: t.host, port: t.port });
      s.setTimeout(Math.max(100, deadline - Date.now()));
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('timeout', () => (s.destroy(), (last = 'no answer'), resolve(false)));
      s.once('error', (e) => ((last = e.message), resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError('TPM_UNREACHABLE', `no TPM answers at ${t.host}:${t.port} (${last}) within ${withinMs / 1000} s; is swtpm running?`, { tcti });
}

/**
 * The agent's operations endpoint, on loopback by default (127.0.0.1:9464, the port
 * Prometheus' registry assigns to OpenTelemetry-style exporters):
 *   GET /metrics      Prometheus text format 0.0.4
 *   GET /healthz      JSON HealthReport; 200 when healthy, 503 otherwise
 *   GET /status.json  the AgentStatus snapshot `place-agent status` draws
 * Read-only: nothing here changes the agent, so it needs no authentication on loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { CONTENT_TYPE, type MetricsRegistry } from './metrics.ts';
import type { HealthReport } from './health.ts';
import type { AgentStatus } from './status.ts';

export const DEFAULT_OPS_HOST = '127.0.0.1';
export const DEFAULT_OPS_PORT = 9464;

export interface OpsServerOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  registry: MetricsRegistry;
  health: () => HealthReport | Promise<HealthReport>;
  status?: () => AgentStatus | Promise<AgentStatus>;
  log?: Logger;
}

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const log = opts.log ?? silentLogger;
  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      log.error('ops endpoint failed', { path: req.url, error: e });
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    switch (path) {
      case '/metrics':
        return send(res, 200, CONTENT_TYPE, await opts.registry.expose());
      case '/healthz': {
        const report = await opts.health();
        return send(res, report.healthy ? 200 : 503, 'application/json', JSON.stringify(report) + '\n');
      }
      case '/status.json':
        if (!opts.status) return send(res, 404, 'text/plain', 'no status provider\n');
        return send(res, 200, 'application/json', JSON.stringify(await opts.status()) + '\n');
      default:
        return send(res, 404, 'text/plain', 'not found: try /metrics, /healthz or /status.json\n');
    }
  }

  const host = opts.host ?? DEFAULT_OPS_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_OPS_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info('ops endpoint listening', { host, port });
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

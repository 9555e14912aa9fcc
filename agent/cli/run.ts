import { parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '../../core/log.ts';
import { loadConfigFile, DEFAULT_CONFIG_PATH } from '../config/load.ts';
import { bootEmbedded, bootFromConfig, type Running } from '../runtime/boot.ts';
import { createSources } from '../runtime/sources.ts';
import { systemClock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { startOperations, type Operations } from '../runtime/operations.ts';
import { CliError } from './errors.ts';

const toStderr = (line: string): void => void process.stderr.write(line + '\n');

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      embedded: { type: 'boolean', default: false },
      config: { type: 'string' },
      port: { type: 'string' },
      tpm: { type: 'string' },
      state: { type: 'string' },
      broker: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      // Envelope period of the demo; small values make a burst (power-loss and outage tests use it).
      'envelope-interval-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      metrics: { type: 'string', default: '127.0.0.1:9464' },
      'max-undelivered': { type: 'string' },
    },
  });
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new CliError('USAGE', `--port must be a port number, got ${values.port}`);
  let running: Running;
  let logger: Logger;
  let listen: string | undefined;
  let mode: 'live' | 'simulation' = 'simulation';
  if (values.embedded && !values.config) {
    logger = createLogger('place-agent', values['log-level'] as LogLevel, toStderr);
    listen = values.metrics === 'off' ? undefined : values.metrics;
    process.stdout.write('place-agent: embedded demo (simulated berth, development authority, in-process broker); Ctrl-C stops\n');
    running = await bootEmbedded({
      logger,
      print: !values.quiet,
      ...(values.state ? { stateDir: values.state } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values.tpm ? { tcti: values.tpm } : {}),
      ...(values.broker ? { brokerUrl: values.broker } : {}),
      ...(values['max-undelivered'] ? { maxUndelivered: Number(values['max-undelivered']) } : {}),
      ...(values['envelope-interval-ms'] ? { envelopeIntervalMs: Math.max(1, Number(values['envelope-interval-ms'])) } : {}),
    });
    process.stdout.write(`place-agent: broker ${running.brokerUrl}; observations on pm/v1/urn:place:DEMO:berth:1/#\n`);
  } else {
    // The configuration is validated before anything is opened: a bad file exits 2 untouched.
    const cfg = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    logger = createLogger('place-agent', cfg.log.level, toStderr);
    listen = cfg.metrics.enabled ? cfg.metrics.listen : undefined;
    mode = 'live';
    running = await bootFromConfig(cfg, { logger, sources: await createSources(cfg, logger), print: !values.quiet && process.stdout.isTTY });
  }
  let ops: Operations | undefined;
  try {
    ops = await startOperations({ agent: running.status, clock: systemClock, logger, brokerUrl: running.brokerUrl, mode, ...(listen ? { listen } : {}) });
  } catch (e) {
    // Metrics are for operators; a taken port must not stop the agent from signing.
    logger.warn('operations endpoint not started', { error: e as Error, listen });
    ops = await startOperations({ agent: running.status, clock: systemClock, logger, brokerUrl: running.brokerUrl, mode });
  }
  if (ops.url) process.stdout.write(`place-agent: metrics ${ops.url}/metrics, health ${ops.url}/healthz, status: place-agent status --url ${ops.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('place-agent: stopping\n');
  await ops.stopping();
  await running.stop();
  await ops.close();
  return 0;
}

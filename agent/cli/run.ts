/**
 * `place-agent run`: the embedded demo or a configured gateway. What only one of them needs
 * (the configuration loader and its schema, the drivers) is imported on that path alone, so the
 * demo does not hold a gateway's modules in memory nor a gateway the demo's.
 */
import { createLogger, type LogLevel, type Logger } from '../../core/log.ts';
import type { AgentConfig } from '../config/schema.ts';
import { bootEmbedded, type Running } from '../runtime/boot.ts';
import { onTerminationSignals, type ShutdownOutcome } from '../ops/shutdown.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { RUN_FLAGS } from './commands.ts';
import { CliCode, CliError, EXIT } from './errors.ts';
import { stderrSink } from './log-sink.ts';
import { installSafetyNet } from './process-safety.ts';
import { assertListenFree, assertTpmReachable, parseListen } from './preflight.ts';

type RunValues = Parsed<typeof RUN_FLAGS>['values'];

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const DEMO_ONLY = ['port', 'state', 'tpm', 'envelope-interval-ms', 'max-undelivered', 'embedded'] as const;

function logLevel(v: string | undefined, fallback: LogLevel): LogLevel {
  if (v === undefined) return fallback;
  if (!(LEVELS as readonly string[]).includes(v)) throw new CliError(CliCode.USAGE, `--log-level must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
  return v as LogLevel;
}

function metricsListen(v: string | undefined, fallback: string | undefined): string | undefined {
  if (v === undefined) return fallback;
  if (v === 'off') return undefined;
  parseListen(v, '--metrics');
  return v;
}

/**
 * With --config the file is the gateway's truth: a flag that has a key in it overrides that key
 * and says so on stderr; a flag that only the demo has is refused rather than ignored.
 */
export function applyOverrides(cfg: AgentConfig, v: RunValues, say: (line: string) => void): AgentConfig {
  for (const f of DEMO_ONLY) {
    if (v[f] !== undefined && v[f] !== false) {
      throw new CliError(CliCode.USAGE, `--${f} is for the embedded demo; with --config set it in the file${f === 'state' ? ' (stateDir)' : f === 'tpm' ? ' (signer.kind: tpm, signer.tcti)' : ''}`, { flag: `--${f}` });
    }
  }
  const out = structuredClone(cfg);
  if (v.broker !== undefined) {
    if (!/^(mqtts?|tcp|tls):\/\/./.test(v.broker)) throw new CliError(CliCode.USAGE, `--broker must be an mqtt:// or mqtts:// URL, got ${JSON.stringify(v.broker)}`);
    say(`--broker ${v.broker} overrides mqtt.url ${cfg.mqtt.url}`);
    out.mqtt.url = v.broker;
  }
  if (v.metrics !== undefined) {
    const listen = metricsListen(v.metrics, undefined);
    say(`--metrics ${v.metrics} overrides metrics ${cfg.metrics.enabled ? cfg.metrics.listen : 'off'}`);
    out.metrics = listen ? { listen, enabled: true } : { ...out.metrics, enabled: false };
  }
  if (v['log-level'] !== undefined) {
    out.log.level = logLevel(v['log-level'], cfg.log.level);
    say(`--log-level ${out.log.level} overrides log.level ${cfg.log.level}`);
  }
  return out;
}

export async function runCommand({ values }: Parsed<typeof RUN_FLAGS>): Promise<number> {
  const say = (line: string): void => void process.stderr.write(`place-agent: ${line}\n`);
  if (values.embedded && values.config) throw new CliError(CliCode.USAGE, '--embedded and --config are two ways to run: give one');
  let running: Running;
  let logger: Logger;
  if (values.embedded) {
    const port = numberFlag(values.port, 'port', 0, 65535);
    const envelopeMs = numberFlag(values['envelope-interval-ms'], 'envelope-interval-ms', 1, 3_600_000);
    const maxUndelivered = numberFlag(values['max-undelivered'], 'max-undelivered', 1, 1e9);
    logger = createLogger('place-agent', logLevel(values['log-level'], 'warn'), stderrSink());
    const listen = metricsListen(values.metrics, '127.0.0.1:9464');
    if (listen) await assertListenFree(listen, 'OPS_PORT_IN_USE', 'pick another with --metrics HOST:PORT, or --metrics off');
    if (values.tpm) await assertTpmReachable(values.tpm);
    process.stdout.write('place-agent: embedded demo (simulated berth, development authority, in-process broker); Ctrl-C stops\n');
    running = await bootEmbedded({
      logger,
      operations: { mode: 'simulation', ...(listen ? { listen } : {}) },
      print: !values.quiet,
      ...(values.state ? { stateDir: values.state } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values.tpm ? { tcti: values.tpm } : {}),
      ...(values.broker ? { brokerUrl: values.broker } : {}),
      ...(maxUndelivered !== undefined ? { maxUndelivered } : {}),
      ...(envelopeMs !== undefined ? { envelopeIntervalMs: envelopeMs } : {}),
      newChain: values['new-chain'] ?? false,
    });
    process.stdout.write(`place-agent: broker ${running.brokerUrl}; observations on pm/v1/urn:place:DEMO:berth:1/#\n`);
  } else {
    const [{ loadConfigFile, DEFAULT_CONFIG_PATH }, { preflightConfig }, { bootFromConfig }] = await Promise.all([
      import('../config/load.ts'),
      import('../config/preflight.ts'),
      import('../runtime/boot.ts'),
    ]);
    // The configuration is validated before anything is opened: a bad file exits 2 untouched.
    const cfg = applyOverrides(loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH), values, say);
    // The same checks `config check` makes: a file run would trip over is refused before anything opens.
    preflightConfig(cfg);
    logger = createLogger('place-agent', cfg.log.level, stderrSink());
    const listen = cfg.metrics.enabled ? cfg.metrics.listen : undefined;
    if (listen) await assertListenFree(listen, 'OPS_PORT_IN_USE', 'set metrics.listen to another port, or --metrics off');
    if (cfg.signer.kind === 'tpm') await assertTpmReachable(cfg.signer.tcti ?? 'device:/dev/tpmrm0');
    running = await bootFromConfig(cfg, {
      logger,
      operations: { mode: 'live', ...(listen ? { listen } : {}) },
      print: !values.quiet && process.stdout.isTTY,
      newChain: values['new-chain'] ?? false,
    });
  }
  // From here a stray rejection is counted and the agent goes on; an uncaught exception exits 3.
  const offSafetyNet = installSafetyNet({ logger, errors: running.agent.errors });
  const url = running.operations?.url;
  if (url) process.stdout.write(`place-agent: metrics ${url}/metrics, health ${url}/healthz, status: place-agent status --url ${url}\n`);
  const outcome = await new Promise<ShutdownOutcome>((resolve) => {
    const off = onTerminationSignals(
      (reason) => {
        process.stdout.write('place-agent: stopping\n');
        return running.stop(reason);
      },
      (o) => {
        off();
        resolve(o);
      },
    );
  });
  offSafetyNet();
  // A step that failed or the deadline passing is a runtime failure; the log said which.
  return outcome.clean ? EXIT.OK : EXIT.RUNTIME;
}

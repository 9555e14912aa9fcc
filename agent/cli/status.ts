import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runStatusCommand } from '../ops/status-view.ts';
import { loadConfigFile } from '../config/load.ts';
import { loadOrCreateUeid, issuerUrn, ueidPath } from '../runtime/identity.ts';
import type { Parsed } from './args.ts';
import type { STATUS_FLAGS } from './commands.ts';
import { CliCode, CliError } from './errors.ts';

/**
 * With --config or --state the device's issuer is known here, and the agent answering on the
 * endpoint must be that device: another agent on the same port is refused, not shown.
 */
export async function statusCommand({ values }: Parsed<typeof STATUS_FLAGS>): Promise<number> {
  if (values.config && values.state) throw new CliError(CliCode.USAGE, '--state and --config both name the device: give one');
  const cfg = values.config ? loadConfigFile(values.config) : undefined;
  const url = values.url ?? (cfg ? `http://${cfg.metrics.listen}` : 'http://127.0.0.1:9464');
  if (cfg && !cfg.metrics.enabled && !values.url) throw new CliError(CliCode.USAGE, `${values.config} disables metrics (metrics.enabled: false): the agent serves no status`);
  const stateDir = values.state ? resolve(values.state) : cfg ? resolve(cfg.stateDir) : undefined;
  let expectIss: string | undefined;
  if (stateDir) {
    if (!existsSync(ueidPath(stateDir))) throw new CliError(CliCode.INPUT_UNREADABLE, `${join(stateDir, 'device.id')} does not exist: no device identity to check the agent against`);
    expectIss = issuerUrn(loadOrCreateUeid(stateDir));
  }
  return runStatusCommand({ url, json: values.json ?? false, once: values.once ?? false, ...(expectIss ? { expectIss } : {}) });
}

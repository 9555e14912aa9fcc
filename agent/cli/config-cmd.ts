import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { loadConfigFile } from '../config/load.ts';
import { preflightConfig } from '../config/preflight.ts';
import { ipAllowDropIn } from '../config/network-peers.ts';
import type { Parsed } from './args.ts';
import type { CONFIG_CHECK_FLAGS } from './commands.ts';
import { CliCode, CliError } from './errors.ts';

function configFile(positionals: string[], sub: string): string {
  const [file] = positionals;
  if (!file) throw new CliError(CliCode.USAGE, `place-agent config ${sub} needs the configuration FILE`);
  return file;
}

export async function configCheckCommand({ positionals }: Parsed<typeof CONFIG_CHECK_FLAGS>): Promise<number> {
  const file = configFile(positionals, 'check');
  const cfg = loadConfigFile(file);
  // Exactly what `run` checks before it opens devices (agent/config/preflight.ts).
  const r = preflightConfig(cfg);
  process.stdout.write(`${file}: ok (place ${cfg.place}, ${cfg.sources.length} source(s), signer ${cfg.signer.kind})\n${r.checked.map((c) => `  checked ${c}\n`).join('')}`);
  return 0;
}

/** The systemd drop-in for the unit's IPAddressAllow= (see agent/config/network-peers.ts). */
export async function configIpAllowCommand({ positionals }: Parsed<typeof CONFIG_CHECK_FLAGS>): Promise<number> {
  const cfg = loadConfigFile(configFile(positionals, 'ip-allow'));
  const resolvConf = (() => {
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return '';
    }
  })();
  const resolve = async (host: string): Promise<string[]> => {
    try {
      return (await lookup(host, { all: true })).map((a) => a.address);
    } catch (e) {
      throw new CliError('CONFIG_HOST_UNRESOLVED', `cannot resolve ${host} to allow it in the unit's IPAddressAllow=: ${(e as Error).message}`, { host });
    }
  };
  process.stdout.write(await ipAllowDropIn(cfg, resolve, resolvConf));
  return 0;
}

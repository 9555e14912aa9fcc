import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { loadConfigFile } from '../config/load.ts';
import { ipAllowDropIn } from '../config/network-peers.ts';
import { CliError } from './errors.ts';

const USAGE = 'usage: place-agent config check FILE | place-agent config ip-allow FILE';

export async function configCommand(args: string[]): Promise<number> {
  const [sub, file] = args;
  if (!file || (sub !== 'check' && sub !== 'ip-allow')) throw new CliError('USAGE', USAGE);
  const cfg = loadConfigFile(file);
  if (sub === 'ip-allow') {
    // The systemd drop-in for the unit's IPAddressAllow= (see agent/config/network-peers.ts).
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
  process.stdout.write(`${file}: ok (place ${cfg.place}, ${cfg.sources.length} source(s), signer ${cfg.signer.kind})\n`);
  return 0;
}

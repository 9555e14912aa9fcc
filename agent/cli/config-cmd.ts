import { loadConfigFile } from '../config/load.ts';
import { CodedError } from '../../core/coded-error.ts';

export async function configCommand(args: string[]): Promise<number> {
  const [sub, file] = args;
  if (sub !== 'check' || !file) throw new CodedError('USAGE', 'usage: place-agent config check FILE');
  const cfg = loadConfigFile(file);
  process.stdout.write(`${file}: ok (place ${cfg.place}, ${cfg.sources.length} source(s), signer ${cfg.signer.kind})\n`);
  return 0;
}

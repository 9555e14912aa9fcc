import { parseArgs } from 'node:util';
import { runStatusCommand } from '../ops/status-view.ts';

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { url: { type: 'string', default: 'http://127.0.0.1:9464' }, json: { type: 'boolean', default: false }, once: { type: 'boolean', default: false } } });
  return runStatusCommand({ url: values.url!, json: values.json!, once: values.once! });
}

import { parseArgs } from 'node:util';
import { openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ObservationStore } from '../store/store.ts';
import { CliError } from './errors.ts';

/** Writes the chain from the store as a CBOR sequence (RFC 8742): COSE_Sign1 items back to back, then the grants it keeps. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { state: { type: 'string', default: 'var' }, db: { type: 'string' }, out: { type: 'string' }, from: { type: 'string', default: '1' } } });
  if (!values.out) throw new CliError('USAGE', 'usage: place-agent export [--state DIR | --db FILE] --out FILE');
  const store = new ObservationStore(values.db ?? join(resolve(values.state!), 'agent.db'));
  const fd = openSync(values.out, 'w');
  let n = 0;
  let grants = 0;
  try {
    // The grants the store keeps (those a kept observation names, and the active ones) go with
    // the chain, so each grant/attestation pair can be rebuilt from the export alone; first, so
    // the file still ends with the chain's head.
    for (const g of store.grants.all()) {
      writeSync(fd, g);
      grants++;
    }
    for (const o of store.observations(Number(values.from))) {
      writeSync(fd, o.bytes);
      n++;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    store.close();
  }
  process.stderr.write(`exported ${n} observation(s) and ${grants} grant(s) to ${values.out}\n`);
  return 0;
}

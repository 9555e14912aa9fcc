import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createEnrollment } from '../signing/tpm-enroll.ts';
import { encodeEnrollment } from './enrollment-file.ts';
import { CliError } from './errors.ts';

export async function enrollCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { tpm: { type: 'string' }, out: { type: 'string' }, state: { type: 'string' } } });
  if (!values.tpm || !values.out) throw new CliError('USAGE', 'usage: place-agent enroll --tpm TCTI [--state DIR] --out FILE');
  const e = await createEnrollment({ tcti: values.tpm, stateDir: resolve(values.state ?? 'var') });
  writeFileSync(values.out, encodeEnrollment(e));
  process.stdout.write(`wrote enrolment request ${values.out} (device key certified by the TPM's attestation key)\n`);
  return 0;
}

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { answerEnrollmentChallenge, createEnrollmentRequest } from '../signing/tpm-enroll.ts';
import { CliError } from './errors.ts';
import { encodeAnswer, encodeRequest, readChallenge } from './enrollment-file.ts';

const USAGE = 'usage: place-agent enroll request --tpm TCTI [--state DIR] --out FILE | enroll answer --tpm TCTI [--state DIR] --challenge FILE --out FILE';

/** Device side of enrolment (agent/signing/tpm-enroll.ts): the request, then the answer to the authority's challenge. */
export async function enrollCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { tpm: { type: 'string' }, out: { type: 'string' }, state: { type: 'string' }, challenge: { type: 'string' } } });
  if (!values.tpm || !values.out) throw new CliError('USAGE', USAGE);
  const cfg = { tcti: values.tpm, stateDir: resolve(values.state ?? 'var') };
  if (sub === 'request') {
    writeFileSync(values.out, encodeRequest(await createEnrollmentRequest(cfg)));
    process.stdout.write(`wrote enrolment request ${values.out} (EK certificate and attestation key); send it to the authority for a challenge\n`);
    return 0;
  }
  if (sub === 'answer') {
    if (!values.challenge) throw new CliError('USAGE', USAGE);
    writeFileSync(values.out, encodeAnswer(await answerEnrollmentChallenge(cfg, readChallenge(values.challenge))));
    process.stdout.write(`wrote enrolment answer ${values.out} (challenge activated by the TPM, signing key certified by its attestation key)\n`);
    return 0;
  }
  throw new CliError('USAGE', USAGE);
}

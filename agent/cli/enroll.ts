import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { answerEnrollmentChallenge, createEnrollmentRequest } from '../signing/tpm-enroll.ts';
import { encodeAnswer, encodeRequest, readChallenge } from './enrollment-file.ts';
import type { Parsed } from './args.ts';
import type { ENROLL_FLAGS } from './commands.ts';
import { CliCode, CliError, readInput } from './errors.ts';
import { required } from './validate.ts';

/** Device side of enrolment (agent/signing/tpm-enroll.ts): the request, then the answer to the authority's challenge. */
export async function enrollRequestCommand({ values }: Parsed<typeof ENROLL_FLAGS>): Promise<number> {
  const tcti = required(values.tpm, 'tpm', 'enroll request');
  const out = required(values.out, 'out', 'enroll request');
  if (values.challenge) throw new CliError(CliCode.USAGE, '--challenge belongs to place-agent enroll answer', { flag: '--challenge' });
  writeFileSync(out, encodeRequest(await createEnrollmentRequest({ tcti, stateDir: resolve(values.state ?? 'var') })));
  process.stdout.write(`wrote enrolment request ${out} (EK certificate and attestation key); send it to the authority for a challenge\n`);
  return 0;
}

export async function enrollAnswerCommand({ values }: Parsed<typeof ENROLL_FLAGS>): Promise<number> {
  const tcti = required(values.tpm, 'tpm', 'enroll answer');
  const out = required(values.out, 'out', 'enroll answer');
  const challenge = required(values.challenge, 'challenge', 'enroll answer');
  readInput(challenge, 'challenge');
  writeFileSync(out, encodeAnswer(await answerEnrollmentChallenge({ tcti, stateDir: resolve(values.state ?? 'var') }, readChallenge(challenge))));
  process.stdout.write(`wrote enrolment answer ${out} (challenge activated by the TPM, signing key certified by its attestation key)\n`);
  return 0;
}

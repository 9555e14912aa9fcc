/**
 * How a failure reaches the user: one line `place-agent: CODE: message` on stderr and the
 * documented exit code; a stack trace only when PLACE_AGENT_DEBUG is set.
 */
import { readFileSync, statSync } from 'node:fs';
import { CodedError, isCodedError } from '../../core/coded-error.ts';

/** Stable codes of the command line; subsystems raise their own. A code never changes meaning once released. */
export const CliErrorCode = {
  ACCEPT_REFUSED: 'ACCEPT_REFUSED',
  BROKER_UNREACHABLE: 'BROKER_UNREACHABLE',
  CONFIG_HOST_UNRESOLVED: 'CONFIG_HOST_UNRESOLVED',
  DECODE_REJECTS_SUPPRESSED: 'DECODE_REJECTS_SUPPRESSED',
  ENROLL_MALFORMED: 'ENROLL_MALFORMED',
  GRANT_REFUSED: 'GRANT_REFUSED',
  INPUT_UNREADABLE: 'INPUT_UNREADABLE',
  INTERNAL: 'INTERNAL',
  ISSUE_REFUSED: 'ISSUE_REFUSED',
  KEY_PRIVATE_REFUSED: 'KEY_PRIVATE_REFUSED',
  OPS_PORT_IN_USE: 'OPS_PORT_IN_USE',
  OUTPUT_UNWRITABLE: 'OUTPUT_UNWRITABLE',
  REVOKE_REFUSED: 'REVOKE_REFUSED',
  SERIAL_OPEN_FAILED: 'SERIAL_OPEN_FAILED',
  TPM_UNREACHABLE: 'TPM_UNREACHABLE',
  USAGE: 'USAGE',
  VERIFY_EMPTY: 'VERIFY_EMPTY',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

export class CliError extends CodedError<CliErrorCode> {}

/** Short alias used throughout the command files. */
export const CliCode = CliErrorCode;

export const EXIT = { OK: 0, FAILURES: 1, USAGE: 2, RUNTIME: 3 } as const;

/**
 * The configuration and the files it names disagreeing about who this gateway is: found by
 * `config check` and by `run` before anything is opened, and the start-up self-check's refusal
 * (issue: exit 2, a message naming the mismatch), so they are configuration errors, not runtime.
 */
const IDENTITY_CONFIG_CODES: ReadonlySet<string> = new Set([
  'IDENTITY_MISSING',
  'IDENTITY_NO_CREDENTIAL',
  'CREDENTIAL_NOT_THIS_DEVICE',
  'CREDENTIAL_EXPIRED',
  'CREDENTIAL_LEVEL',
  'CREDENTIAL_SCOPE',
  'CREDENTIAL_MALFORMED',
  'ANCHOR_UNREADABLE',
  'KEY_SOFTWARE_WITH_TPM',
]);

/** 2 for what the user typed or handed in (usage, configuration, an input file), 3 for what failed while running. */
export function exitCodeOf(code: string): number {
  return code === CliCode.USAGE || code === CliCode.INPUT_UNREADABLE || code === 'KEY_PRIVATE_REFUSED' || code.startsWith('CONFIG_') || IDENTITY_CONFIG_CODES.has(code)
    ? EXIT.USAGE
    : EXIT.RUNTIME;
}

export function reportError(e: unknown): number {
  const debug = process.env.PLACE_AGENT_DEBUG ? `\n${(e as Error)?.stack ?? ''}` : '';
  if (isCodedError(e)) {
    process.stderr.write(`place-agent: ${e.code}: ${e.message}${debug}\n`);
    return exitCodeOf(e.code);
  }
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    process.stderr.write(`place-agent: SYSTEM_${sys.code}: ${sys.syscall}${sys.path ? ` ${sys.path}` : ''} failed: ${sys.message}${debug}\n`);
    return EXIT.RUNTIME;
  }
  process.stderr.write(`place-agent: ${CliCode.INTERNAL}: ${(e as Error)?.message ?? String(e)} (PLACE_AGENT_DEBUG=1 shows where)${debug}\n`);
  return EXIT.RUNTIME;
}

/** Reads a file the user named; a missing or unreadable one is INPUT_UNREADABLE (exit 2) naming it. */
export function readInput(path: string, what: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new CliError(CliCode.INPUT_UNREADABLE, `${what} ${path} is a directory, not a file`, { path });
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (isCodedError(e)) throw e;
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(CliCode.INPUT_UNREADABLE, `cannot read ${what} ${path}: ${why}`, { path });
  }
}

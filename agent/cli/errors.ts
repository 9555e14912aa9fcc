/**
 * How a failure reaches the user: one line `place-agent: CODE: message` on stderr and the
 * documented exit code; a stack trace only when PLACE_AGENT_DEBUG is set.
 */
import { readFileSync, statSync } from 'node:fs';
import { CodedError, codeOf, isCodedError, type ExitClass, type ExitClasses } from '../../core/coded-error.ts';
import { AuthorityErrorExit } from '../authority/errors.ts';
import { ConfigErrorExit } from '../config/errors.ts';
import { RuntimeErrorExit } from '../runtime/errors.ts';
import { SigningErrorExit } from '../signing/errors.ts';
import { MqttErrorExit } from '../transport/errors.ts';

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

/** How the command line exits on each code (ExitClass, core/coded-error.ts): usage, an input file, a private key handed to the authority and an unresolvable configured host are the user's to fix; the rest failed while running. */
export const CliErrorExit: ExitClasses<CliErrorCode> = {
  ACCEPT_REFUSED: 'runtime',
  BROKER_UNREACHABLE: 'runtime',
  CONFIG_HOST_UNRESOLVED: 'input',
  DECODE_REJECTS_SUPPRESSED: 'runtime',
  ENROLL_MALFORMED: 'runtime',
  GRANT_REFUSED: 'runtime',
  INPUT_UNREADABLE: 'input',
  INTERNAL: 'runtime',
  ISSUE_REFUSED: 'runtime',
  KEY_PRIVATE_REFUSED: 'input',
  OPS_PORT_IN_USE: 'runtime',
  OUTPUT_UNWRITABLE: 'runtime',
  REVOKE_REFUSED: 'runtime',
  SERIAL_OPEN_FAILED: 'runtime',
  TPM_UNREACHABLE: 'runtime',
  USAGE: 'input',
  VERIFY_EMPTY: 'runtime',
};

export class CliError extends CodedError<CliErrorCode> {}

/** Short alias used throughout the command files. */
export const CliCode = CliErrorCode;

export const EXIT = { OK: 0, FAILURES: 1, USAGE: 2, RUNTIME: 3 } as const;

/**
 * Each registry whose codes reach the user declares the exit class of every one of its codes
 * beside it; a code in none of them (a driver's, a system error's) failed while running.
 */
export const DECLARED_EXIT_CLASSES: readonly Readonly<Record<string, ExitClass>>[] = [CliErrorExit, ConfigErrorExit, RuntimeErrorExit, AuthorityErrorExit, SigningErrorExit, MqttErrorExit];

/** The class a registry declares for `code`, or undefined when no registry above holds it. */
export function declaredExitClass(code: string): ExitClass | undefined {
  for (const classes of DECLARED_EXIT_CLASSES) if (Object.hasOwn(classes, code)) return classes[code];
  return undefined;
}

/** 2 for what the user typed or handed in (usage, configuration, an input file), 3 for what failed while running. */
export function exitCodeOf(code: string): number {
  return declaredExitClass(code) === 'input' ? EXIT.USAGE : EXIT.RUNTIME;
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

/**
 * What failed, for a message: the error's text, else its code (Node rejects a connection refused
 * at every address of a host with an AggregateError whose message is empty and whose code is
 * ECONNREFUSED), else `fallback`.
 */
export function failureText(e: unknown, fallback: string): string {
  return (e instanceof Error && e.message) || codeOf(e, fallback);
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

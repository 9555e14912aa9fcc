import { CodedError } from '../../core/coded-error.ts';
/** Stable codes of the command line (USAGE and CONFIG_* exit 2); a code never changes meaning once released. */
export const CliErrorCode = {
  CONFIG_HOST_UNRESOLVED: 'CONFIG_HOST_UNRESOLVED',
  DECODE_REJECTS_SUPPRESSED: 'DECODE_REJECTS_SUPPRESSED',
  ENROLL_MALFORMED: 'ENROLL_MALFORMED',
  GRANT_REFUSED: 'GRANT_REFUSED',
  ISSUE_REFUSED: 'ISSUE_REFUSED',
  USAGE: 'USAGE',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

export class CliError extends CodedError<CliErrorCode> {}

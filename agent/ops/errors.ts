import { CodedError } from '../../core/coded-error.ts';
/** Stable codes of operations: the status client and chain export; a code never changes meaning once released. */
export const OpsErrorCode = {
  /** The status could not be read for a reason that carries no code of its own (printed, exit 3). */
  OPS_STATUS_FAILED: 'OPS_STATUS_FAILED',
  OPS_STATUS_HTTP: 'OPS_STATUS_HTTP',
  OPS_STATUS_MALFORMED: 'OPS_STATUS_MALFORMED',
  OPS_STATUS_UNREACHABLE: 'OPS_STATUS_UNREACHABLE',
  OPS_STATUS_WRONG_AGENT: 'OPS_STATUS_WRONG_AGENT',
  OUTPUT_UNWRITABLE: 'OUTPUT_UNWRITABLE',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_MISSING: 'STORE_MISSING',
  STORE_UNREADABLE: 'STORE_UNREADABLE',
} as const;
export type OpsErrorCode = (typeof OpsErrorCode)[keyof typeof OpsErrorCode];

export class OpsError extends CodedError<OpsErrorCode> {}

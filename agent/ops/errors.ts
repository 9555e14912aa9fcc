import { CodedError } from '../../core/coded-error.ts';
/** Stable codes of operations: the status client; a code never changes meaning once released. */
export const OpsErrorCode = {
  OPS_STATUS_HTTP: 'OPS_STATUS_HTTP',
  OPS_STATUS_MALFORMED: 'OPS_STATUS_MALFORMED',
  OPS_STATUS_UNREACHABLE: 'OPS_STATUS_UNREACHABLE',
} as const;
export type OpsErrorCode = (typeof OpsErrorCode)[keyof typeof OpsErrorCode];

export class OpsError extends CodedError<OpsErrorCode> {}

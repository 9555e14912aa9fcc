import { CodedError } from '../../core/coded-error.ts';
/** Stable codes of the observation log (signing and committing queue); a code never changes meaning once released. */
export const LineageLogErrorCode = {
  LOG_ABANDONED: 'LOG_ABANDONED',
  LOG_BACKLOG: 'LOG_BACKLOG',
  LOG_FLUSH_FAILED: 'LOG_FLUSH_FAILED',
  LOG_LISTENER_FAILED: 'LOG_LISTENER_FAILED',
  /** A draft whose signed form would exceed the 16 KiB every verifier refuses; a `gap` says so on the chain instead. */
  OBS_TOO_LARGE: 'OBS_TOO_LARGE',
} as const;
export type LineageLogErrorCode = (typeof LineageLogErrorCode)[keyof typeof LineageLogErrorCode];

export class LineageLogError extends CodedError<LineageLogErrorCode> {}

import { CodedError, type ExitClasses } from '../../core/coded-error.ts';
/** Stable codes of signers, key files and epoch counters; a code never changes meaning once released. */
export const SigningErrorCode = {
  EPOCH_CORRUPT: 'EPOCH_CORRUPT',
  KEY_EXISTS: 'KEY_EXISTS',
  KEY_MISSING: 'KEY_MISSING',
  KEY_PERMISSIONS: 'KEY_PERMISSIONS',
  KEY_UNREADABLE: 'KEY_UNREADABLE',
  KEY_WRONG_TYPE: 'KEY_WRONG_TYPE',
  SIGN_POOL_CLOSED: 'SIGN_POOL_CLOSED',
  SIGN_SELF_CHECK_FAILED: 'SIGN_SELF_CHECK_FAILED',
  SIGN_WORKER_FAILED: 'SIGN_WORKER_FAILED',
  TPM_CONFIG: 'TPM_CONFIG',
  TPM_ENROLLMENT_MALFORMED: 'TPM_ENROLLMENT_MALFORMED',
  TPM_KEY_FILE: 'TPM_KEY_FILE',
  TPM_KEY_MISMATCH: 'TPM_KEY_MISMATCH',
  TPM_NOT_PROVISIONED: 'TPM_NOT_PROVISIONED',
  TPM_NV_MISMATCH: 'TPM_NV_MISMATCH',
  TPM_SECRET_MISSING: 'TPM_SECRET_MISSING',
  TPM_SECRET_PERMISSIONS: 'TPM_SECRET_PERMISSIONS',
  TPM_TRANSPORT_CLOSED: 'TPM_TRANSPORT_CLOSED',
} as const;
export type SigningErrorCode = (typeof SigningErrorCode)[keyof typeof SigningErrorCode];

/** How the command line exits on each code (ExitClass, core/coded-error.ts): key and TPM faults are runtime errors (README: exit 3 for key, store, broker, TPM), a key file's mode included. */
export const SigningErrorExit: ExitClasses<SigningErrorCode> = {
  EPOCH_CORRUPT: 'runtime',
  KEY_EXISTS: 'runtime',
  KEY_MISSING: 'runtime',
  KEY_PERMISSIONS: 'runtime',
  KEY_UNREADABLE: 'runtime',
  KEY_WRONG_TYPE: 'runtime',
  SIGN_POOL_CLOSED: 'runtime',
  SIGN_SELF_CHECK_FAILED: 'runtime',
  SIGN_WORKER_FAILED: 'runtime',
  TPM_CONFIG: 'runtime',
  TPM_ENROLLMENT_MALFORMED: 'runtime',
  TPM_KEY_FILE: 'runtime',
  TPM_KEY_MISMATCH: 'runtime',
  TPM_NOT_PROVISIONED: 'runtime',
  TPM_NV_MISMATCH: 'runtime',
  TPM_SECRET_MISSING: 'runtime',
  TPM_SECRET_PERMISSIONS: 'runtime',
  TPM_TRANSPORT_CLOSED: 'runtime',
};

export class SigningError extends CodedError<SigningErrorCode> {}

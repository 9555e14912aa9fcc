import { CodedError } from '../../core/coded-error.ts';
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

export class SigningError extends CodedError<SigningErrorCode> {}

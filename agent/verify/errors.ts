import type { SignedObjectCode } from '../authority/errors.ts';
/**
 * Stable codes of the verifier: observation checks, lineage failures, what an input's objects and
 * revocation lists reveal, and the verdict each object that holds is reported with; a code never
 * changes meaning once released. Grants, acceptances, settlements and revocation lists refuse with
 * their own codes (agent/authority/errors.ts).
 */
export const VerifyErrorCode = {
  ACCEPT_OK: 'ACCEPT_OK',
  CRED_OK: 'CRED_OK',
  CRED_PARENT_UNKNOWN: 'CRED_PARENT_UNKNOWN',
  GRANT_OK: 'GRANT_OK',
  LINEAGE_BAD_GENESIS: 'LINEAGE_BAD_GENESIS',
  LINEAGE_BROKEN_LINK: 'LINEAGE_BROKEN_LINK',
  LINEAGE_EPOCH_ROLLBACK: 'LINEAGE_EPOCH_ROLLBACK',
  LINEAGE_FORK: 'LINEAGE_FORK',
  LINEAGE_GAP: 'LINEAGE_GAP',
  LINEAGE_REORDER: 'LINEAGE_REORDER',
  OBS_BAD_SIGNATURE: 'OBS_BAD_SIGNATURE',
  OBS_CRED_MISMATCH: 'OBS_CRED_MISMATCH',
  OBS_HIGH_S: 'OBS_HIGH_S',
  OBS_ISS_MISMATCH: 'OBS_ISS_MISMATCH',
  OBS_KID_MISMATCH: 'OBS_KID_MISMATCH',
  OBS_MALFORMED: 'OBS_MALFORMED',
  OBS_NO_CREDENTIAL: 'OBS_NO_CREDENTIAL',
  OBS_WRONG_TYPE: 'OBS_WRONG_TYPE',
  REVOCATION_OK: 'REVOCATION_OK',
  REVOCATION_SEQ_CONFLICT: 'REVOCATION_SEQ_CONFLICT',
  REVOCATION_SUPERSEDED: 'REVOCATION_SUPERSEDED',
  REVOKED_ANNOUNCED: 'REVOKED_ANNOUNCED',
  REVOKED_GRANT: 'REVOKED_GRANT',
  REVOKED_SIGNER: 'REVOKED_SIGNER',
  SETTLE_OK: 'SETTLE_OK',
  VERIFY_UNSUPPORTED_TYP: 'VERIFY_UNSUPPORTED_TYP',
} as const;
export type VerifyErrorCode = (typeof VerifyErrorCode)[keyof typeof VerifyErrorCode];

/** Every code a verdict of the verifier can carry: its own, and those of the signed objects it checks. */
export type VerdictCode = VerifyErrorCode | SignedObjectCode;

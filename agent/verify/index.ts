/**
 * `place-agent/verify`: the verifier as a library for integrators (DESIGN.md, "The verifier is
 * also a library"). Everything here checks bytes against a trust anchor and nothing else: no
 * broker, no database, no clock of its own.
 */
export { ObservationVerifier, parseObservationClaims, type ObservationCheck, type ObservationClaims } from './observation-verifier.ts';
export { LineageVerifier, DEFAULT_SEEN_WINDOW, type LineageFailure } from './lineage-verifier.ts';
export { trustAnchor, verifyCredentialChain, type TrustAnchor, type ChainResult } from '../authority/chain.ts';
export { loadTrustAnchor } from '../authority/authority-dir.ts';
export { verifyGrant, type GrantCheck, type ReservationGrant } from '../authority/grant.ts';
export { verifyAcceptance, type Acceptance, type AcceptanceCheck, type AcceptanceCheckOptions } from '../authority/acceptance.ts';
export type { CredentialClaims } from '../authority/credential.ts';
export { verifySettlement, resolveSettlement, type Settlement, type SettlementVerdict, type KnownObject, type Resolution } from '../authority/settlement.ts';
export { verifyRevocationList, revokedLink, grantRevokedBy, chainLinks, type RevocationList, type RevocationCheck } from '../authority/revocation.ts';
export { verifyInput, type InputReport, type InputOptions, type ObjectVerdict, type ObjectTyp } from './input-verifier.ts';
export { VerifyErrorCode, type VerdictCode } from './errors.ts';
export { AuthorityErrorCode, type SignedObjectCode } from '../authority/errors.ts';
export { EncodingErrorCode } from '../encoding/errors.ts';

/**
 * What an issuing tool checks before it writes a credential (DESIGN.md, "Issuing tools refuse
 * to make a credential that could not verify"): the taxonomy's own rules, then the whole chain
 * through the same verifier every counterparty runs. Pure: claims and bytes in, a reason out.
 */
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import { isEndLevel, isLevel, mayIssue, OBSERVATION_KINDS } from './levels.ts';
import type { CredentialClaims, IssueRequest } from './credential.ts';

/** The scope kinds a level signs when the issuer names none. */
export function defaultKinds(level: string): string[] {
  if (level === 'gateway') return [...OBSERVATION_KINDS];
  if (level === 'unit') return ['acceptance'];
  if (level === 'settler') return ['settlement'];
  return ['*'];
}

/** Why `req` could not make a credential that verifies under `parent`, or undefined. */
export function requestRefusal(req: IssueRequest, parent: CredentialClaims): string | undefined {
  if (!isLevel(req.level)) return `level ${req.level} is not one of root, authority, gateway, unit, settler`;
  if (req.level === 'root') return 'a root credential is the trust anchor\'s own (authority init), never issued under another';
  if (!mayIssue(parent.level)) return `the parent is a ${parent.level} credential, which may not issue`;
  if (!Number.isSafeInteger(req.depth) || req.depth < 0) return `depth ${req.depth} is not a non-negative integer`;
  if (req.depth >= parent.depth) return `depth ${req.depth} must be below the parent's ${parent.depth}`;
  if (isEndLevel(req.level) && req.depth !== 0) return `a ${req.level} delegates nothing: depth must be 0, not ${req.depth}`;
  if (req.level === 'gateway') {
    const other = req.scope.kinds.filter((k) => !(OBSERVATION_KINDS as readonly string[]).includes(k));
    if (other.length) return `a gateway signs observation kinds only (${OBSERVATION_KINDS.join(', ')}), not ${other.join(', ')}`;
  }
  // DESIGN.md, "Acceptance": a unit credential's scope names the unit(s) it speaks for.
  if (req.level === 'unit' && (req.scope.units.length === 0 || req.scope.units.includes('*'))) return 'a unit credential names the units it speaks for (such as mmsi:211331640), not *';
  if (req.scope.places.length === 0) return 'the scope names no place';
  if (req.notBefore < parent.nbf) return `not-before ${req.notBefore} is earlier than the parent's ${parent.nbf}`;
  if (req.notAfter > parent.exp) return `expiry lies past the parent's (${new Date(parent.exp * 1000).toISOString()}): at most ${Math.floor((parent.exp - req.now) / 86_400)} days from now`;
  if (req.notAfter <= req.notBefore) return 'the validity period is empty';
  return undefined;
}

/** Runs the issued credential through the chain verifier; the reason when it does not verify. */
export function issuedRefusal(cred: Uint8Array, parents: Uint8Array[], anchors: TrustAnchor[], atSec: number): string | undefined {
  const r = verifyCredentialChain(cred, parents, anchors, atSec);
  return r.ok ? undefined : `${r.code} at link ${r.link}: ${r.reason}`;
}

/**
 * The agent's check of its own credential at start (DESIGN.md, wire contract v1: every
 * observation must verify for a counterparty holding only the trust anchor): the key it signs
 * with is the credential's cnf key, the credential's subject is the agent's iss, the chain
 * reaches a configured anchor now, the level may sign observations, and the scope covers the
 * place and every observation kind the agent signs. Without this a misissued credential yields a
 * chain of which every observation fails verification, silently. Expiry within 7 days is a warning.
 */
import { decodeSign1, TYP_OBS } from '../encoding/cose-sign1.ts';
import { parseCredentialClaims } from './credential.ts';
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import { scopeCovers } from './scope.ts';
import { OBSERVATION_KINDS } from './levels.ts';

export const EXPIRY_WARNING_S = 7 * 86_400;

export interface OwnCredential {
  iss: string;
  credential: Uint8Array;
  parents: Uint8Array[];
}

export interface SelfCheck {
  /** Each a reason the agent must not start. */
  problems: string[];
  warnings: string[];
  /** Seconds since the epoch, when the credential could be read. */
  expiresAt?: number;
}

export function checkOwnCredential(id: OwnCredential, signingKey: Uint8Array, place: string, anchors: TrustAnchor[], nowSec: number): SelfCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  let claims;
  try {
    claims = parseCredentialClaims(decodeSign1(id.credential).payload);
  } catch (e) {
    return { problems: [`the credential is not a COSE_Sign1: ${(e as Error).message}`], warnings };
  }
  if (!claims) return { problems: ['the credential claims are missing or mistyped'], warnings };
  if (!Buffer.from(claims.subjectKey).equals(Buffer.from(signingKey))) problems.push("the signing key is not the credential's cnf key (the credential was issued for another key)");
  if (claims.sub !== id.iss) problems.push(`the credential's subject ${claims.sub} is not this agent's issuer ${id.iss}`);
  const chain = verifyCredentialChain(id.credential, id.parents, anchors, nowSec, { place, kind: 'envelope', typ: TYP_OBS });
  if (!chain.ok) problems.push(`the credential chain does not verify to a configured trust anchor: ${chain.code} at link ${chain.link}: ${chain.reason}`);
  const uncovered = OBSERVATION_KINDS.filter((k) => scopeCovers(claims.scope, place, k) !== undefined);
  if (uncovered.length) problems.push(`the credential does not let this agent sign ${uncovered.join(', ')} at ${place}`);
  if (claims.exp - nowSec < EXPIRY_WARNING_S && claims.exp >= nowSec) warnings.push(`the credential expires at ${new Date(claims.exp * 1000).toISOString()}, within 7 days: have it renewed`);
  return { problems, warnings, expiresAt: claims.exp };
}

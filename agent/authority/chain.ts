/**
 * Credential chain verification (DESIGN.md, chain rules): each link verifies under its
 * parent's cnf key and the root under a configured trust anchor; a child's scope and validity
 * lie inside its parent's; depth strictly decreases; at most 4 links; any doubt fails closed.
 */
import { type SignedObjectCode } from './errors.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { TYP_CRED, decodeSign1, sigStructure, HDR_KID, HDR_TYP } from '../encoding/cose-sign1.ts';
import { verifyEs256 } from '../signing/p256.ts';
import { parseCredentialClaims, type CredentialClaims } from './credential.ts';
import { scopeCovers, scopeExcess } from './scope.ts';
import { isLevel, levelMaySign, mayIssue } from './levels.ts';

export const MAX_CHAIN_LINKS = 4;

export interface TrustAnchor {
  publicKey: Uint8Array;
  kid: Uint8Array;
}

export function trustAnchor(publicKey: Uint8Array): TrustAnchor {
  return { publicKey, kid: coseKeyThumbprint(publicKey) };
}

export type ChainResult =
  /** `links` and `hashes` (h() of each credential, its payload's SHA-256) leaf first. */
  | { ok: true; leaf: CredentialClaims; links: CredentialClaims[]; hashes: Uint8Array[] }
  | { ok: false; code: SignedObjectCode; reason: string; link: number };

const fail = (code: SignedObjectCode, reason: string, link: number): ChainResult => ({ ok: false, code, reason, link });

// Date#toISOString throws a RangeError past ±8.64e15 ms (ECMA-262 §21.4.1.31); a credential's
// times are only numbers, so an absurd one must still give a reason, not an exception.
function when(sec: number): string {
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? `${sec} s after the epoch` : d.toISOString();
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Verifies `leaf` and its `parents` (leaf's parent first) against the anchors, at time
 * `atSec` (seconds), optionally requiring that the leaf may speak for `need.place`/`need.kind`
 * and that its level may sign `need.typ` (DESIGN.md, "Authority taxonomy"). Levels are always
 * checked along the chain: the link the anchor signed is `root` and the only `root`, and every
 * link that issued another is `root` or `authority`. `link` in a failure counts from 0 at the leaf.
 */
export function verifyCredentialChain(
  leaf: Uint8Array,
  parents: Uint8Array[],
  anchors: TrustAnchor[],
  atSec: number,
  need?: { place: string; kind: string; typ?: string },
): ChainResult {
  const chain = [leaf, ...parents];
  if (chain.length > MAX_CHAIN_LINKS) return fail('CHAIN_TOO_LONG', `chain has ${chain.length} links; at most ${MAX_CHAIN_LINKS}`, 0);
  const parsed: { claims: CredentialClaims; kid: Uint8Array; toBeSigned: Uint8Array; signature: Uint8Array; id: Uint8Array }[] = [];
  for (let i = 0; i < chain.length; i++) {
    let s;
    try {
      s = decodeSign1(chain[i]!);
    } catch (e) {
      return fail('CHAIN_MALFORMED', `credential is not a valid COSE_Sign1: ${(e as Error).message}`, i);
    }
    if (s.protectedHeader.get(HDR_TYP) !== TYP_CRED) return fail('CHAIN_WRONG_TYPE', 'credential typ is not application/place-cred+cwt', i);
    const claims = parseCredentialClaims(s.payload);
    if (!claims) return fail('CHAIN_MALFORMED', 'credential claims are missing or mistyped', i);
    parsed.push({ claims, kid: s.protectedHeader.get(HDR_KID) as Uint8Array, toBeSigned: sigStructure(s.protectedBytes, s.payload), signature: s.signature, id: sha256(s.payload) });
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const link = parsed[i]!;
    const c = link.claims;
    if (!isLevel(c.level)) return fail('CHAIN_BAD_LEVEL', `level ${JSON.stringify(c.level)} is not one of root, authority, gateway, unit, settler`, i);
    if ((i === chain.length - 1) !== (c.level === 'root')) {
      return fail('CHAIN_BAD_LEVEL', i === chain.length - 1 ? `the credential a trust anchor signs must be level root, not ${c.level}` : 'only the credential a trust anchor signs may be level root', i);
    }
    if (i > 0 && !mayIssue(c.level)) return fail('CHAIN_LEVEL_CANNOT_ISSUE', `a ${c.level} credential may not issue credentials`, i);
    if (i === chain.length - 1) {
      const anchor = anchors.find((a) => eq(a.kid, link.kid));
      if (!anchor) return fail('CHAIN_UNKNOWN_ANCHOR', 'the root credential is not signed by a configured trust anchor', i);
      if (!verifyEs256(link.signature, link.toBeSigned, anchor.publicKey)) return fail('CHAIN_BAD_SIGNATURE', 'root credential signature does not verify under the trust anchor', i);
      if (c.parent) return fail('CHAIN_MISSING_PARENT', 'root credential names a parent that is not in the chain', i);
    } else {
      const parent = parsed[i + 1]!.claims;
      if (!eq(link.kid, coseKeyThumbprint(parent.subjectKey))) return fail('CHAIN_KID_MISMATCH', "credential kid is not its parent's key", i);
      if (!verifyEs256(link.signature, link.toBeSigned, parent.subjectKey)) return fail('CHAIN_BAD_SIGNATURE', "credential signature does not verify under its parent's key", i);
      // parent = h(parent credential), over its payload (DESIGN.md, "Identity of a signed object").
      if (!c.parent || !eq(c.parent, parsed[i + 1]!.id)) return fail('CHAIN_PARENT_MISMATCH', 'credential parent hash does not match the next credential', i);
      // Depth counts the delegations that may still follow, so it is a non-negative integer: a
      // parent at depth 0 may not delegate, and a child at -1 must not get past the "decreases" test.
      if (!Number.isInteger(c.depth) || c.depth < 0 || c.depth >= parent.depth) {
        return fail('CHAIN_DEPTH', `depth ${c.depth} does not decrease from parent's ${parent.depth} while staying at or above 0`, i);
      }
      if (c.nbf < parent.nbf || c.exp > parent.exp) return fail('CHAIN_VALIDITY_OUTSIDE_PARENT', "validity period lies outside the parent's", i);
      const excess = scopeExcess(c.scope, parent.scope);
      if (excess) return fail('CHAIN_SCOPE_OUTSIDE_PARENT', excess, i);
    }
    if (atSec < c.nbf) return fail('CHAIN_NOT_YET_VALID', `credential not valid before ${when(c.nbf)}`, i);
    if (atSec > c.exp) return fail('CHAIN_EXPIRED', `credential expired at ${when(c.exp)}`, i);
  }
  const leafClaims = parsed[0]!.claims;
  if (need) {
    if (need.typ !== undefined) {
      const why = levelMaySign(leafClaims.level, need.typ);
      if (why) return fail('CHAIN_LEVEL_MAY_NOT_SIGN', why, 0);
    }
    const why = scopeCovers(leafClaims.scope, need.place, need.kind);
    if (why) return fail('CHAIN_OUT_OF_SCOPE', why, 0);
  }
  return { ok: true, leaf: leafClaims, links: parsed.map((p) => p.claims), hashes: parsed.map((p) => p.id) };
}

/**
 * Revocation lists (DESIGN.md, "Revocation list"): a COSE_Sign1 of typ place-revoke+cwt, kind
 * `revocation`, signed by a `root` or `authority` credential carried inline in label 13 (parents
 * in -65601) like every other signed object. Claims: 1 iss (= the issuer credential's sub),
 * 6 iat, 7 cti, -65537 kind, -65539 seq (the issuer's list number: it rises with each list, a
 * lower one is ignored), -65545 body {revoked: [h(credential), ...], grants: [grant cti, ...],
 * next_ms}. Lists are retained on pm/v1/authority/<issuer kid hex>/revocations.
 *
 * The API (pure: bytes and values in, values or a coded refusal out):
 * - `issueRevocationList(req, signer, credential, parents)` makes one (the caller decides seq).
 * - `verifyRevocationList(bytes, anchors, atMs, opts?)` checks one: the 16 KiB bound before any
 *   decoding, the COSE structure (unknown unprotected labels refused), typ, claims, the issuer's
 *   chain to an anchor at `atMs` with a leaf of level root or authority, kid, signature, iss and
 *   iat skew. Returns `{ok: true, list}` or `{ok: false, code, reason}`.
 * - `verifyKeptRevocationList(bytes, anchors)`: the same, at the list's own iat: for a list
 *   accepted earlier and kept (its issuer was entitled to it then; a revocation must not lapse
 *   when the issuer's credential later expires).
 * - `chainLinks(leaf, parents)` / `linksOf(chainResult)`: the h() and key id of each credential
 *   of a chain, leaf first: what `revokedLink` and `grantRevokedBy` judge.
 * - `revokedLink(lists, links)`: the first link of a chain that a list revokes, with that list.
 *   A list speaks only for credentials at or below its issuer: an entry h(C) counts when the
 *   list's issuer key is C's own key or the key of one of C's ancestors in that chain, so one
 *   authority cannot revoke another's subtree under the same anchor.
 * - `grantRevokedBy(lists, cti, links)`: the list that revokes a grant by cti, under the same
 *   rule (issuer = the grantor or one of its ancestors).
 */
import { type SignedObjectCode, signedObjectCodeOf } from './errors.ts';
import { randomBytes } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { HDR_KID, HDR_TYP, TYP_REVOKE, carriedCredentials, credentialHeader, decodeSign1, encodeSign1, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import { CLAIM } from '../lineage/observation-types.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { verifyEs256 } from '../signing/p256.ts';
import { verifyCredentialChain, type ChainResult, type TrustAnchor } from './chain.ts';
import type { ChainVerify } from './chain-cache.ts';
import { levelMaySign } from './levels.ts';
import { parseCredentialClaims } from './credential.ts';

/** DESIGN.md, wire contract v1: an inbound signed object larger than this is refused undecoded. */
export const MAX_REVOCATION_BYTES = 16 * 1024;
/** How far a list's iat may lie ahead of the verifier's clock. */
export const REVOCATION_IAT_SKEW_MS = 5 * 60_000;

export interface RevocationList {
  /** The issuer's URN (its credential's sub). */
  iss: string;
  /** The issuer's key id (RFC 9679 thumbprint): the `<issuer kid hex>` of its topic. */
  kid: Uint8Array;
  /** The issuer credential's level: `root` or `authority`. */
  level: string;
  /** The issuer's list number. */
  seq: number;
  /** Seconds. */
  iat: number;
  cti: Uint8Array;
  /** h() of each revoked credential. */
  revoked: Uint8Array[];
  /** cti of each revoked grant. */
  grants: Uint8Array[];
  /** When the issuer means to publish its next list, ms since the epoch. */
  nextMs: number;
  /** h(list). */
  hash: Uint8Array;
  /** The issuer's chain (h() and key id of each credential), leaf first. */
  chain: ChainLink[];
}

export interface RevocationRequest {
  /** The issuer credential's sub. */
  issuer: string;
  seq: number;
  revoked: Uint8Array[];
  grants: Uint8Array[];
  nextMs: number;
  nowMs: number;
}

export type RevocationCheck = { ok: true; list: RevocationList } | { ok: false; code: SignedObjectCode; reason: string };

/** A credential in a chain as revocation judges it: h(credential) and the key id of its subject key. */
export interface ChainLink {
  hash: Uint8Array;
  kid: Uint8Array;
}

export async function issueRevocationList(req: RevocationRequest, signer: Signer, credential: Uint8Array, parents: Uint8Array[] = []): Promise<Uint8Array> {
  const claims = new Map<CborMapKey, CborValue>([
    [CLAIM.iss, req.issuer],
    [CLAIM.iat, Math.floor(req.nowMs / 1000)],
    [CLAIM.cti, new Uint8Array(randomBytes(16))],
    [CLAIM.kind, 'revocation'],
    [CLAIM.seq, req.seq],
    [CLAIM.body, { revoked: req.revoked, grants: req.grants, next_ms: req.nextMs }],
  ]);
  const payload = encodeDeterministic(claims);
  const p = protectedHeader(coseKeyThumbprint(await signer.publicKey()), TYP_REVOKE);
  const signature = await signer.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: credentialHeader(credential, parents), payload, signature });
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const bstrs = (x: unknown, n: number): Uint8Array[] | undefined =>
  Array.isArray(x) && x.every((e) => e instanceof Uint8Array && e.length === n) ? (x as Uint8Array[]) : undefined;

/** The links of a verified chain, leaf first. */
export function linksOf(r: Extract<ChainResult, { ok: true }>): ChainLink[] {
  return r.links.map((c, i) => ({ hash: r.hashes[i]!, kid: coseKeyThumbprint(c.subjectKey) }));
}

/** The links of a chain as carried (leaf, then its parents), unverified; undefined when a credential is unreadable. */
export function chainLinks(leaf: Uint8Array, parents: Uint8Array[]): ChainLink[] | undefined {
  const out: ChainLink[] = [];
  for (const c of [leaf, ...parents]) {
    try {
      const payload = decodeSign1(c).payload;
      const claims = parseCredentialClaims(payload);
      if (!claims) return undefined;
      out.push({ hash: sha256(payload), kid: coseKeyThumbprint(claims.subjectKey) });
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * Verifies a revocation list at `atMs` (the receiver's clock for a list just received; a stored
 * list may be checked again at its own iat). Every refusal carries a stable code: the list's
 * own (REVOCATION_*), a COSE/CBOR one, or the chain verifier's (CHAIN_*, CHAIN_LEVEL_MAY_NOT_SIGN
 * for a gateway, unit or settler issuer).
 */
export function verifyRevocationList(bytes: Uint8Array, anchors: TrustAnchor[], atMs: number, opts: { chains?: ChainVerify; iatSkewMs?: number } = {}): RevocationCheck {
  const fail = (code: SignedObjectCode, reason: string): RevocationCheck => ({ ok: false, code, reason });
  if (bytes.length > MAX_REVOCATION_BYTES) return fail('REVOCATION_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_REVOCATION_BYTES}-byte bound; not decoded`);
  let s;
  try {
    s = decodeSign1(bytes);
  } catch (e) {
    return fail(signedObjectCodeOf(e, 'REVOCATION_MALFORMED'), (e as Error).message);
  }
  if (s.protectedHeader.get(HDR_TYP) !== TYP_REVOKE) return fail('REVOCATION_WRONG_TYPE', 'typ is not application/place-revoke+cwt');
  let m: CborValue;
  try {
    m = decodeCbor(s.payload);
  } catch (e) {
    return fail('REVOCATION_MALFORMED', `payload: ${(e as Error).message}`);
  }
  if (!(m instanceof Map)) return fail('REVOCATION_MALFORMED', 'payload is not a map');
  const iss = m.get(CLAIM.iss);
  const iat = m.get(CLAIM.iat);
  const cti = m.get(CLAIM.cti);
  const seq = m.get(CLAIM.seq);
  const body = m.get(CLAIM.body);
  if (m.get(CLAIM.kind) !== 'revocation') return fail('REVOCATION_MALFORMED', 'kind (-65537) is not "revocation"');
  if (typeof iss !== 'string' || !int(iat) || iat < 0) return fail('REVOCATION_MALFORMED', 'iss (1) or iat (6) missing or mistyped');
  if (!(cti instanceof Uint8Array) || cti.length !== 16) return fail('REVOCATION_MALFORMED', 'cti (7) missing or not 16 bytes');
  if (!int(seq) || seq < 1) return fail('REVOCATION_MALFORMED', 'seq (-65539) is not an integer of 1 or more');
  if (!(body instanceof Map)) return fail('REVOCATION_MALFORMED', 'body (-65545) is not a map');
  const revoked = bstrs(body.get('revoked'), 32);
  const grants = bstrs(body.get('grants'), 16);
  const nextMs = body.get('next_ms');
  if (!revoked) return fail('REVOCATION_MALFORMED', 'body.revoked is not an array of 32-byte credential hashes');
  if (!grants) return fail('REVOCATION_MALFORMED', 'body.grants is not an array of 16-byte grant ctis');
  if (!int(nextMs) || nextMs < 0) return fail('REVOCATION_MALFORMED', 'body.next_ms is not a time in ms');
  const carried = carriedCredentials(s);
  if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'REVOCATION_NO_CREDENTIAL' : carried.code, carried.reason);
  const atSec = Math.floor(atMs / 1000);
  const chain = opts.chains ? opts.chains(carried.leaf, carried.parents, atSec) : verifyCredentialChain(carried.leaf, carried.parents, anchors, atSec);
  if (!chain.ok) return fail(chain.code, `revocation list credential link ${chain.link}: ${chain.reason}`);
  const leaf = chain.leaf;
  // DESIGN.md, "Authority taxonomy": only root and authority credentials sign revocation lists.
  const why = levelMaySign(leaf.level, TYP_REVOKE);
  if (why) return fail('CHAIN_LEVEL_MAY_NOT_SIGN', why);
  const kid = s.protectedHeader.get(HDR_KID) as Uint8Array;
  if (!eq(kid, coseKeyThumbprint(leaf.subjectKey))) return fail('REVOCATION_KID_MISMATCH', "kid is not the issuer credential's key");
  if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), leaf.subjectKey)) return fail('REVOCATION_BAD_SIGNATURE', 'revocation list signature does not verify');
  if (iss !== leaf.sub) return fail('REVOCATION_ISS_MISMATCH', `iss ${iss} is not the issuer credential's subject ${leaf.sub}`);
  const skew = opts.iatSkewMs ?? REVOCATION_IAT_SKEW_MS;
  if (iat * 1000 > atMs + skew) return fail('REVOCATION_FROM_THE_FUTURE', `iat ${iat} lies more than ${skew / 1000} s ahead of this clock`);
  return {
    ok: true,
    list: { iss, kid, level: leaf.level, seq, iat, cti, revoked, grants, nextMs, hash: sha256(s.payload), chain: linksOf(chain) },
  };
}

/** verifyRevocationList at the list's own iat (see the file comment). */
export function verifyKeptRevocationList(bytes: Uint8Array, anchors: TrustAnchor[], opts: { chains?: ChainVerify } = {}): RevocationCheck {
  let iat = 0;
  if (bytes.length <= MAX_REVOCATION_BYTES) {
    try {
      const v = (decodeCbor(decodeSign1(bytes).payload) as Map<CborMapKey, CborValue>).get(CLAIM.iat);
      if (int(v)) iat = v;
    } catch {
      // verifyRevocationList below refuses it with its code.
    }
  }
  return verifyRevocationList(bytes, anchors, iat * 1000, opts);
}

/** Does a list with issuer key `issuerKid` speak for links[i], i.e. is its issuer links[i] or an ancestor of it? */
function speaksFor(issuerKid: Uint8Array, links: ChainLink[], i: number): boolean {
  for (let j = i; j < links.length; j++) if (eq(links[j]!.kid, issuerKid)) return true;
  return false;
}

/**
 * The first link of `links` (leaf first) that one of `lists` revokes, and that list; undefined
 * when none is. `link` counts from 0 at the leaf.
 */
export function revokedLink(lists: Iterable<RevocationList>, links: ChainLink[]): { link: number; list: RevocationList } | undefined {
  const all = [...lists];
  for (let i = 0; i < links.length; i++) {
    const h = links[i]!.hash;
    for (const l of all) if (speaksFor(l.kid, links, i) && l.revoked.some((r) => eq(r, h))) return { link: i, list: l };
  }
  return undefined;
}

/** The list that revokes the grant `cti` signed under `links` (the grantor's chain, leaf first), if any. */
export function grantRevokedBy(lists: Iterable<RevocationList>, cti: Uint8Array, links: ChainLink[]): RevocationList | undefined {
  for (const l of lists) if (speaksFor(l.kid, links, 0) && l.grants.some((g) => eq(g, cti))) return l;
  return undefined;
}

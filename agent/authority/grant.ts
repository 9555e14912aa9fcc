/**
 * Reservation grants (DESIGN.md, "Reservation grant"): a COSE_Sign1 of typ place-grant+cwt
 * signed by an `authority` credential whose scope covers the place, carried inline in
 * unprotected label 13 like an observation's. A grant is identified by its cti; h(grant), the
 * SHA-256 of its payload, is how observations name it.
 */
import { type SignedObjectCode, signedObjectCodeOf } from './errors.ts';
import { randomBytes } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { HDR_KID, HDR_TYP, TYP_GRANT, carriedCredentials, credentialHeader, decodeSign1, encodeSign1, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import { CLAIM } from '../lineage/observation.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { verifyEs256 } from '../signing/p256.ts';
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import type { ChainVerify } from './chain-cache.ts';
import { linksOf, type ChainLink } from './revocation.ts';
import { unitsCover } from './scope.ts';

/** CWT exp (RFC 8392 §3.1.4), seconds. */
const CLAIM_EXP = 4;
export const GRANT_NONCE_BYTES = 16;
/** How far a grant's iat may lie ahead of the gateway's clock (clocks of two parties differ). */
export const DEFAULT_IAT_SKEW_MS = 5 * 60_000;

export interface ReservationGrant {
  iss: string;
  iat: number;
  /** Seconds. */
  exp: number;
  cti: Uint8Array;
  nonce: Uint8Array;
  place: string;
  reservation: string;
  unit: [scheme: string, id: string];
  window: [startMs: number, endMs: number];
  toleranceM: number;
  graceMs: number;
  /** h(grant): SHA-256 of the payload, how observations name this grant. */
  hash: Uint8Array;
  /**
   * The grantor's credential chain, leaf first: what revocation lists are judged against
   * (revocation.ts). verifyGrant always sets it; only grants made by hand in tests lack it.
   */
  chain?: ChainLink[];
}

export interface GrantRequest {
  issuer: string;
  place: string;
  reservation: string;
  unit: [string, string];
  window: [number, number];
  toleranceM: number;
  graceMs: number;
  nowMs: number;
  nonce?: Uint8Array;
  /** Seconds; default the end of the window plus grace. */
  exp?: number;
  /** Extra payload claims (tests of what a verifier refuses). */
  extra?: Map<CborMapKey, CborValue>;
}

export async function issueGrant(req: GrantRequest, signer: Signer, credential: Uint8Array, parents: Uint8Array[] = []): Promise<Uint8Array> {
  const claims = new Map<CborMapKey, CborValue>([
    [CLAIM.iss, req.issuer],
    [CLAIM.iat, Math.floor(req.nowMs / 1000)],
    [CLAIM_EXP, req.exp ?? Math.ceil((req.window[1] + req.graceMs) / 1000)],
    [CLAIM.cti, new Uint8Array(randomBytes(16))],
    [CLAIM.nonce, req.nonce ?? new Uint8Array(randomBytes(GRANT_NONCE_BYTES))],
    [CLAIM.kind, 'grant'],
    [CLAIM.place, req.place],
    [
      CLAIM.body,
      {
        reservation: req.reservation,
        unit: [req.unit[0], req.unit[1]],
        window: [req.window[0], req.window[1]],
        tolerance_m: req.toleranceM,
        grace_ms: req.graceMs,
      },
    ],
  ]);
  for (const [k, v] of req.extra ?? []) claims.set(k, v);
  const payload = encodeDeterministic(claims);
  const p = protectedHeader(coseKeyThumbprint(await signer.publicKey()), TYP_GRANT);
  const signature = await signer.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: credentialHeader(credential, parents), payload, signature });
}

/**
 * A refusal names the grant by h() and its reservation id when the bytes got that far, so the
 * agent can answer it on its chain (`grant-refused`).
 */
export type GrantCheck = { ok: true; grant: ReservationGrant } | { ok: false; code: SignedObjectCode; reason: string; hash?: Uint8Array; reservation?: string };

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface GrantCheckOptions {
  expectPlace?: string;
  iatSkewMs?: number;
  /** A chain verifier with memory (chain-cache.ts); default: verify every time. */
  chains?: ChainVerify;
}

/**
 * Verifies a grant fully at `nowMs`: structure, the credential chain to an anchor with an
 * `authority` leaf whose scope covers the place, iss = the credential's subject, the signature,
 * exp and iat, and the bounds of the scope (DESIGN.md: grace within maxGraceMs, tolerance
 * within maxToleranceM, window + 2·grace within maxWindowMs). Nonce freshness needs memory of
 * earlier grants and is the caller's (the store).
 */
export function verifyGrant(bytes: Uint8Array, anchors: TrustAnchor[], nowMs: number, opts: GrantCheckOptions | string = {}): GrantCheck {
  const o: GrantCheckOptions = typeof opts === 'string' ? { expectPlace: opts } : opts;
  let s;
  try {
    s = decodeSign1(bytes);
  } catch (e) {
    return { ok: false, code: signedObjectCodeOf(e, 'GRANT_MALFORMED'), reason: (e as Error).message };
  }
  const hash = sha256(s.payload);
  let reservationId: string | undefined;
  const fail = (code: SignedObjectCode, reason: string): GrantCheck => ({ ok: false, code, reason, hash, ...(reservationId !== undefined ? { reservation: reservationId } : {}) });
  if (s.protectedHeader.get(HDR_TYP) !== TYP_GRANT) return fail('GRANT_WRONG_TYPE', 'typ is not application/place-grant+cwt');
  let m: CborValue;
  try {
    m = decodeCbor(s.payload);
  } catch (e) {
    return fail('GRANT_MALFORMED', `payload: ${(e as Error).message}`);
  }
  if (!(m instanceof Map)) return fail('GRANT_MALFORMED', 'payload is not a map');
  const body = m.get(CLAIM.body);
  const place = m.get(CLAIM.place);
  const iss = m.get(CLAIM.iss);
  const iat = m.get(CLAIM.iat);
  const exp = m.get(CLAIM_EXP);
  const cti = m.get(CLAIM.cti);
  const nonce = m.get(CLAIM.nonce);
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (body instanceof Map && typeof body.get('reservation') === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(body.get('reservation') as string)) {
    reservationId = body.get('reservation') as string;
  }
  if (m.get(CLAIM.kind) !== 'grant' || typeof place !== 'string' || typeof iss !== 'string' || !int(iat)) return fail('GRANT_MALFORMED', 'kind, place, iss or iat missing');
  if (!int(exp)) return fail('GRANT_MALFORMED', 'exp (4) missing or not an integer');
  if (!(cti instanceof Uint8Array) || cti.length !== 16) return fail('GRANT_MALFORMED', 'cti (7) missing or not 16 bytes');
  if (!(nonce instanceof Uint8Array) || nonce.length !== GRANT_NONCE_BYTES) return fail('GRANT_MALFORMED', `nonce (10) missing or not ${GRANT_NONCE_BYTES} bytes`);
  if (!(body instanceof Map)) return fail('GRANT_MALFORMED', 'body missing');
  const unit = body.get('unit');
  const window = body.get('window');
  const tol = body.get('tolerance_m');
  const grace = body.get('grace_ms');
  if (reservationId === undefined) return fail('GRANT_MALFORMED', 'reservation id missing or not topic-safe');
  if (!Array.isArray(unit) || unit.length !== 2 || typeof unit[0] !== 'string' || typeof unit[1] !== 'string') return fail('GRANT_MALFORMED', 'unit is not [scheme, id]');
  if (!Array.isArray(window) || window.length !== 2 || !int(window[0]) || !int(window[1]) || window[1] <= window[0]) {
    return fail('GRANT_MALFORMED', 'window is not [start_ms, end_ms] with end after start');
  }
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol < 0 || !int(grace) || grace < 0) return fail('GRANT_MALFORMED', 'tolerance_m or grace_ms missing or not finite');
  if (o.expectPlace !== undefined && place !== o.expectPlace) return fail('GRANT_WRONG_PLACE', `grant is for ${place}, not ${o.expectPlace}`);
  const carried = carriedCredentials(s);
  if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'GRANT_NO_CREDENTIAL' : carried.code, carried.reason);
  const need = { place, kind: 'grant', typ: TYP_GRANT };
  const atSec = Math.floor(nowMs / 1000);
  const chain = o.chains ? o.chains(carried.leaf, carried.parents, atSec, need) : verifyCredentialChain(carried.leaf, carried.parents, anchors, atSec, need);
  if (!chain.ok) return fail(chain.code, `grant credential link ${chain.link}: ${chain.reason}`);
  const leaf = chain.leaf;
  if (!eq(s.protectedHeader.get(HDR_KID) as Uint8Array, coseKeyThumbprint(leaf.subjectKey))) return fail('GRANT_KID_MISMATCH', "kid is not the grantor credential's key");
  if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), leaf.subjectKey)) return fail('GRANT_BAD_SIGNATURE', 'grant signature does not verify');
  if (iss !== leaf.sub) return fail('GRANT_ISS_MISMATCH', `iss ${iss} is not the grantor credential's subject ${leaf.sub}`);
  if (nowMs > exp * 1000) return fail('GRANT_EXPIRED', `grant expired at ${new Date(exp * 1000).toISOString()}`);
  if (iat * 1000 > nowMs + (o.iatSkewMs ?? DEFAULT_IAT_SKEW_MS)) return fail('GRANT_FROM_THE_FUTURE', `iat ${iat} lies more than ${(o.iatSkewMs ?? DEFAULT_IAT_SKEW_MS) / 1000} s ahead of this clock`);
  const scope = leaf.scope;
  if (!unitsCover(scope.units, [unit[0] as string, unit[1] as string])) return fail('GRANT_UNIT_OUT_OF_SCOPE', `unit ${String(unit[0])}:${String(unit[1])} is outside the grantor's scope [${scope.units.join(', ')}]`);
  if (grace > scope.maxGraceMs) return fail('GRANT_GRACE_TOO_LONG', `grace ${grace} ms exceeds the grantor's maximum of ${scope.maxGraceMs} ms`);
  if (tol > scope.maxToleranceM) return fail('GRANT_TOLERANCE_TOO_WIDE', `tolerance ${tol} m exceeds the grantor's maximum of ${scope.maxToleranceM} m`);
  const span = (window[1] as number) - (window[0] as number) + 2 * grace;
  if (span > scope.maxWindowMs) return fail('GRANT_WINDOW_TOO_LONG', `window plus twice the grace is ${span} ms, over the grantor's maximum of ${scope.maxWindowMs} ms`);
  return {
    ok: true,
    grant: {
      iss,
      iat,
      exp,
      cti,
      nonce,
      place,
      reservation: reservationId,
      unit: [unit[0] as string, unit[1] as string],
      window: [window[0] as number, window[1] as number],
      toleranceM: tol,
      graceMs: grace,
      hash,
      chain: linksOf(chain),
    },
  };
}

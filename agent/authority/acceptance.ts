/**
 * A reserving unit's acceptance of a grant (DESIGN.md, "Acceptance"): a COSE_Sign1 of typ
 * place-accept+cwt, kind `acceptance`, signed by a `unit` credential whose scope `units` names
 * the unit, carrying that credential inline in label 13 (parents in -65601) like every object.
 * Claims: 1 iss, 6 iat, 7 cti, 10 nonce (the grant's), -65537 kind, -65538 place, 264 location
 * (the unit's own position, when it has one), -65545 body {grant: h(grant), reservation, unit,
 * t_ms}.
 *
 * API:
 * - `signAcceptance(req, signer, credential, parents)`: the acceptance of a verified grant.
 * - `verifyAcceptance(bytes, anchors, opts)`: the 16 KiB bound before decoding, structure, the
 *   credential chain at t_ms (leaf level `unit`, scope covering place and kind), kid, low-S
 *   signature, iss = the credential's subject, the unit inside the scope's `units`; with
 *   `opts.grant` (already verified, verifyGrant) also nonce, h(grant), reservation, unit, place,
 *   and t_ms inside [start − grace, end + grace] (the unit checks in for the window); with
 *   `opts.nowMs`, t_ms not ahead of that clock by more than the skew.
 * A refusal carries a stable code (errors.ts, ACCEPT_*; COSE_* and CHAIN_* pass through) and,
 * once the bytes got that far, h(acceptance) and the reservation id.
 */
import { type SignedObjectCode, signedObjectCodeOf } from './errors.ts';
import { randomBytes } from 'node:crypto';
import { CborFloat, type CborMapKey, type CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { HDR_KID, HDR_TYP, TYP_ACCEPT, carriedCredentials, credentialHeader, decodeInboundSign1, encodeSign1, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import { CLAIM, type Location } from '../lineage/observation-types.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { isLowS, verifyEs256 } from '../signing/p256.ts';
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import type { ChainVerify } from './chain-cache.ts';
import type { CredentialClaims } from './credential.ts';
import { DEFAULT_IAT_SKEW_MS, type ReservationGrant } from './grant.ts';
import { unitsCover } from './scope.ts';

export interface Acceptance {
  iss: string;
  iat: number;
  cti: Uint8Array;
  nonce: Uint8Array;
  place: string;
  /** h(grant) named in the body. */
  grant: Uint8Array;
  reservation: string;
  unit: [scheme: string, id: string];
  /** When the unit accepted, ms since the Unix epoch. */
  tMs: number;
  location?: Location;
  /** h(acceptance): SHA-256 of the payload, how attestations and settlements name it. */
  hash: Uint8Array;
  /** The unit credential that signed it (verified to a trust anchor). */
  signer: CredentialClaims;
}

export interface AcceptanceRequest {
  /** The signer's URN: its unit credential's subject. */
  iss: string;
  /** The grant accepted (verifyGrant's result): its nonce, h(), place, reservation and unit are echoed. */
  grant: Pick<ReservationGrant, 'nonce' | 'hash' | 'place' | 'reservation' | 'unit'>;
  tMs: number;
  location?: Location;
  /** Claims to set or replace after the others (tests of what a verifier refuses). */
  extra?: Map<CborMapKey, CborValue>;
}

export async function signAcceptance(req: AcceptanceRequest, signer: Signer, credential: Uint8Array, parents: Uint8Array[] = []): Promise<Uint8Array> {
  const g = req.grant;
  const claims = new Map<CborMapKey, CborValue>([
    [CLAIM.iss, req.iss],
    [CLAIM.iat, Math.floor(req.tMs / 1000)],
    [CLAIM.cti, new Uint8Array(randomBytes(16))],
    [CLAIM.nonce, g.nonce],
    [CLAIM.kind, 'acceptance'],
    [CLAIM.place, g.place],
    [CLAIM.body, { grant: g.hash, reservation: g.reservation, unit: [g.unit[0], g.unit[1]], t_ms: req.tMs }],
  ]);
  if (req.location) {
    // EAT location claim (RFC 9711 §4.2.9): 1 latitude, 2 longitude, 4 accuracy (m), 8 timestamp (s).
    claims.set(
      CLAIM.location,
      new Map<CborMapKey, CborValue>([
        [1, new CborFloat(req.location.lat)],
        [2, new CborFloat(req.location.lon)],
        [4, new CborFloat(req.location.accuracyM)],
        [8, Math.floor(req.location.t / 1000)],
      ]),
    );
  }
  for (const [k, v] of req.extra ?? []) claims.set(k, v);
  const payload = encodeDeterministic(claims);
  const p = protectedHeader(coseKeyThumbprint(await signer.publicKey()), TYP_ACCEPT);
  const signature = await signer.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: credentialHeader(credential, parents), payload, signature });
}

export type AcceptanceCheck = { ok: true; acceptance: Acceptance } | { ok: false; code: SignedObjectCode; reason: string; hash?: Uint8Array; reservation?: string };

export interface AcceptanceCheckOptions {
  /** The grant this acceptance must answer (already verified). */
  grant?: Pick<ReservationGrant, 'nonce' | 'hash' | 'place' | 'reservation' | 'unit' | 'window' | 'graceMs'>;
  /** Without a grant: the place it must be for. */
  expectPlace?: string;
  /** The verifier's clock: an acceptance dated further ahead than the skew is refused. */
  nowMs?: number;
  skewMs?: number;
  /** A chain verifier with memory (chain-cache.ts); default: verify every time. */
  chains?: ChainVerify;
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
// Date#toISOString throws past ±8.64e15 ms (ECMA-262 §21.4.1.31); t_ms is any integer an attacker wrote.
const when = (ms: number): string => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms after the epoch`);

/** Claim 264 as DESIGN.md gives it; undefined when absent, a reason when malformed. */
function parseLocation(v: CborValue | undefined): Location | undefined | string {
  if (v === undefined) return undefined;
  if (!(v instanceof Map)) return 'location (264) is not a map';
  const lat = v.get(1);
  const lon = v.get(2);
  const acc = v.get(4);
  const ts = v.get(8);
  if (typeof lat !== 'number' || !(Math.abs(lat) <= 90) || typeof lon !== 'number' || !(Math.abs(lon) <= 180)) return 'location (264) lacks a latitude (1) and longitude (2) in range';
  // A position used as evidence says how good it is and when it was taken: both required (fail closed).
  if (typeof acc !== 'number' || !(acc >= 0) || !Number.isFinite(acc)) return 'location accuracy (4) missing or not a finite non-negative number';
  if (!int(ts) || ts < 0) return 'location timestamp (8) missing or not a non-negative integer';
  return { lat, lon, accuracyM: acc, t: ts * 1000 };
}

export function verifyAcceptance(bytes: Uint8Array, anchors: TrustAnchor[], opts: AcceptanceCheckOptions = {}): AcceptanceCheck {
  let s;
  try {
    s = decodeInboundSign1(bytes);
  } catch (e) {
    return { ok: false, code: signedObjectCodeOf(e, 'ACCEPT_MALFORMED'), reason: (e as Error).message };
  }
  const hash = sha256(s.payload);
  let reservation: string | undefined;
  const fail = (code: SignedObjectCode, reason: string): AcceptanceCheck => ({ ok: false, code, reason, hash, ...(reservation !== undefined ? { reservation } : {}) });
  if (s.protectedHeader.get(HDR_TYP) !== TYP_ACCEPT) return fail('ACCEPT_WRONG_TYPE', `typ is not ${TYP_ACCEPT}`);
  let m: CborValue;
  try {
    m = decodeCbor(s.payload);
  } catch (e) {
    return fail('ACCEPT_MALFORMED', `payload: ${(e as Error).message}`);
  }
  if (!(m instanceof Map)) return fail('ACCEPT_MALFORMED', 'payload is not a map');
  const body = m.get(CLAIM.body);
  if (body instanceof Map && typeof body.get('reservation') === 'string') reservation = body.get('reservation') as string;
  const iss = m.get(CLAIM.iss);
  const iat = m.get(CLAIM.iat);
  const cti = m.get(CLAIM.cti);
  const nonce = m.get(CLAIM.nonce);
  const place = m.get(CLAIM.place);
  if (m.get(CLAIM.kind) !== 'acceptance') return fail('ACCEPT_MALFORMED', 'kind (-65537) is not acceptance');
  if (typeof iss !== 'string' || typeof place !== 'string' || !int(iat)) return fail('ACCEPT_MALFORMED', 'iss, place or iat missing or mistyped');
  if (!(cti instanceof Uint8Array) || cti.length !== 16) return fail('ACCEPT_MALFORMED', 'cti (7) missing or not 16 bytes');
  if (!(nonce instanceof Uint8Array) || nonce.length !== 16) return fail('ACCEPT_MALFORMED', 'nonce (10) missing or not 16 bytes');
  if (!(body instanceof Map)) return fail('ACCEPT_MALFORMED', 'body (-65545) missing or not a map');
  const grantHash = body.get('grant');
  const unit = body.get('unit');
  const tMs = body.get('t_ms');
  if (!(grantHash instanceof Uint8Array) || grantHash.length !== 32) return fail('ACCEPT_MALFORMED', 'body grant is not h(grant), 32 bytes');
  if (reservation === undefined) return fail('ACCEPT_MALFORMED', 'body reservation missing or not text');
  if (!Array.isArray(unit) || unit.length !== 2 || typeof unit[0] !== 'string' || typeof unit[1] !== 'string') return fail('ACCEPT_MALFORMED', 'body unit is not [scheme, id]');
  if (!int(tMs) || tMs < 0) return fail('ACCEPT_MALFORMED', 'body t_ms is not a non-negative integer');
  const location = parseLocation(m.get(CLAIM.location));
  if (typeof location === 'string') return fail('ACCEPT_MALFORMED', location);
  const theUnit: [string, string] = [unit[0] as string, unit[1] as string];

  const carried = carriedCredentials(s);
  if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'ACCEPT_NO_CREDENTIAL' : carried.code, carried.reason);
  const need = { place, kind: 'acceptance', typ: TYP_ACCEPT };
  const atSec = Math.floor(tMs / 1000);
  const chain = opts.chains ? opts.chains(carried.leaf, carried.parents, atSec, need) : verifyCredentialChain(carried.leaf, carried.parents, anchors, atSec, need);
  if (!chain.ok) return fail(chain.code, `acceptance credential link ${chain.link}: ${chain.reason}`);
  const leaf = chain.leaf;
  if (!eq(s.protectedHeader.get(HDR_KID) as Uint8Array, coseKeyThumbprint(leaf.subjectKey))) return fail('ACCEPT_KID_MISMATCH', "kid is not the unit credential's key");
  if (!isLowS(s.signature)) return fail('ACCEPT_BAD_SIGNATURE', 'signature is not low-S normalised');
  if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), leaf.subjectKey)) return fail('ACCEPT_BAD_SIGNATURE', 'acceptance signature does not verify');
  if (iss !== leaf.sub) return fail('ACCEPT_ISS_MISMATCH', `iss ${iss} is not the unit credential's subject ${leaf.sub}`);
  if (!unitsCover(leaf.scope.units, theUnit)) return fail('ACCEPT_UNIT_OUT_OF_SCOPE', `unit ${theUnit.join(':')} is outside the credential's units [${leaf.scope.units.join(', ')}]`);
  if (opts.nowMs !== undefined && tMs > opts.nowMs + (opts.skewMs ?? DEFAULT_IAT_SKEW_MS)) {
    return fail('ACCEPT_FROM_THE_FUTURE', `t_ms ${tMs} lies more than ${(opts.skewMs ?? DEFAULT_IAT_SKEW_MS) / 1000} s ahead of this clock`);
  }
  const g = opts.grant;
  const expectPlace = g?.place ?? opts.expectPlace;
  if (expectPlace !== undefined && place !== expectPlace) return fail('ACCEPT_WRONG_PLACE', `acceptance is for ${place}, not ${expectPlace}`);
  if (g) {
    if (!eq(grantHash, g.hash)) return fail('ACCEPT_GRANT_MISMATCH', `names grant ${hex(grantHash).slice(0, 16)}…, not ${hex(g.hash).slice(0, 16)}…`);
    if (!eq(nonce, g.nonce)) return fail('ACCEPT_NONCE_MISMATCH', "nonce (10) is not the grant's");
    if (reservation !== g.reservation) return fail('ACCEPT_RESERVATION_MISMATCH', `reservation ${reservation} is not the grant's ${g.reservation}`);
    if (theUnit[0] !== g.unit[0] || theUnit[1] !== g.unit[1]) return fail('ACCEPT_UNIT_MISMATCH', `unit ${theUnit.join(':')} is not the grant's ${g.unit.join(':')}`);
    const [from, to] = [g.window[0] - g.graceMs, g.window[1] + g.graceMs];
    if (tMs < from || tMs > to) return fail('ACCEPT_OUTSIDE_WINDOW', `t_ms ${when(tMs)} lies outside the grant's window with grace [${when(from)}, ${when(to)}]`);
  }
  return {
    ok: true,
    acceptance: { iss, iat, cti, nonce, place, grant: grantHash, reservation, unit: theUnit, tMs, ...(location ? { location } : {}), hash, signer: leaf },
  };
}

/**
 * Reservation grants (DESIGN.md, "Reservation grant"): a COSE_Sign1 of typ
 * place-grant+cwt signed under a credential whose scope covers the place and kind "grant",
 * the credential carried in unprotected label 13 like an observation.
 */
import { randomBytes } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint } from '../encoding/cose-key.ts';
import { HDR_KID, HDR_TYP, TYP_GRANT, carriedCredentials, credentialHeader, decodeSign1, encodeSign1, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import { CLAIM } from '../lineage/observation.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { verifyEs256 } from '../signing/p256.ts';
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import { codeOf } from '../../core/coded-error.ts';

export interface ReservationGrant {
  iss: string;
  iat: number;
  cti: Uint8Array;
  nonce: Uint8Array;
  place: string;
  reservation: string;
  unit: [scheme: string, id: string];
  window: [startMs: number, endMs: number];
  toleranceM: number;
  graceMs: number;
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
}

export async function issueGrant(req: GrantRequest, signer: Signer, credential: Uint8Array, parents: Uint8Array[] = []): Promise<Uint8Array> {
  const payload = encodeDeterministic(
    new Map<CborMapKey, CborValue>([
      [CLAIM.iss, req.issuer],
      [CLAIM.iat, Math.floor(req.nowMs / 1000)],
      [CLAIM.cti, new Uint8Array(randomBytes(16))],
      [CLAIM.nonce, req.nonce ?? new Uint8Array(randomBytes(16))],
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
    ]),
  );
  const p = protectedHeader(coseKeyThumbprint(await signer.publicKey()), TYP_GRANT);
  const signature = await signer.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: credentialHeader(credential, parents), payload, signature });
}

export type GrantCheck = { ok: true; grant: ReservationGrant } | { ok: false; code: string; reason: string };

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Verifies a grant fully: structure, chain to an anchor with scope over the place, signature, window. */
export function verifyGrant(bytes: Uint8Array, anchors: TrustAnchor[], nowMs: number, expectPlace?: string): GrantCheck {
  const fail = (code: string, reason: string): GrantCheck => ({ ok: false, code, reason });
  let s;
  try {
    s = decodeSign1(bytes);
  } catch (e) {
    return fail(codeOf(e, 'GRANT_MALFORMED'), (e as Error).message);
  }
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
  const cti = m.get(CLAIM.cti);
  const nonce = m.get(CLAIM.nonce);
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (m.get(CLAIM.kind) !== 'grant' || typeof place !== 'string' || typeof iss !== 'string' || !int(iat)) return fail('GRANT_MALFORMED', 'kind, place, iss or iat missing');
  if (!(cti instanceof Uint8Array) || !(nonce instanceof Uint8Array) || nonce.length < 8) return fail('GRANT_MALFORMED', 'cti or nonce (at least 8 bytes) missing');
  if (!(body instanceof Map)) return fail('GRANT_MALFORMED', 'body missing');
  const reservation = body.get('reservation');
  const unit = body.get('unit');
  const window = body.get('window');
  const tol = body.get('tolerance_m');
  const grace = body.get('grace_ms');
  if (typeof reservation !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(reservation)) return fail('GRANT_MALFORMED', 'reservation id missing or not topic-safe');
  if (!Array.isArray(unit) || unit.length !== 2 || typeof unit[0] !== 'string' || typeof unit[1] !== 'string') return fail('GRANT_MALFORMED', 'unit is not [scheme, id]');
  if (!Array.isArray(window) || window.length !== 2 || !int(window[0]) || !int(window[1]) || window[1] <= window[0]) {
    return fail('GRANT_MALFORMED', 'window is not [start_ms, end_ms] with end after start');
  }
  if (typeof tol !== 'number' || !Number.isFinite(tol) || tol < 0 || !int(grace) || grace < 0) return fail('GRANT_MALFORMED', 'tolerance_m or grace_ms missing or not finite');
  if (expectPlace !== undefined && place !== expectPlace) return fail('GRANT_WRONG_PLACE', `grant is for ${place}, not ${expectPlace}`);
  const carried = carriedCredentials(s);
  if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'GRANT_NO_CREDENTIAL' : carried.code, carried.reason);
  const chain = verifyCredentialChain(carried.leaf, carried.parents, anchors, Math.floor(nowMs / 1000), { place, kind: 'grant', typ: TYP_GRANT });
  if (!chain.ok) return fail(chain.code, `grant credential link ${chain.link}: ${chain.reason}`);
  const scope = chain.leaf.scope;
  if (!scope.units.includes('*') && !scope.units.includes(unit[0] as string)) return fail('GRANT_UNIT_OUT_OF_SCOPE', `unit scheme ${String(unit[0])} is outside the grantor's scope`);
  if ((window[1] as number) - (window[0] as number) > scope.maxWindowMs) return fail('GRANT_WINDOW_TOO_LONG', `window exceeds the grantor's maximum of ${scope.maxWindowMs} ms`);
  if (!eq(s.protectedHeader.get(HDR_KID) as Uint8Array, coseKeyThumbprint(chain.leaf.subjectKey))) return fail('GRANT_KID_MISMATCH', "kid is not the grantor credential's key");
  if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), chain.leaf.subjectKey)) return fail('GRANT_BAD_SIGNATURE', 'grant signature does not verify');
  return {
    ok: true,
    grant: {
      iss,
      iat,
      cti,
      nonce,
      place,
      reservation,
      unit: [unit[0] as string, unit[1] as string],
      window: [window[0] as number, window[1] as number],
      toleranceM: tol,
      graceMs: grace,
    },
  };
}

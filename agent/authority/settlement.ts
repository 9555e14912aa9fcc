/**
 * Settlement artifacts (DESIGN.md, "Settlement"): a COSE_Sign1 of typ place-settle+cwt, kind
 * `settlement`, signed by a `settler` credential carried inline in label 13 (parents in
 * -65601). Claims: 1 iss, 6 iat, 7 cti, -65537 kind, -65538 place, -65545 body {reservation,
 * outcome: "settled" | "refused", grant: h(grant), acceptance?: h(acceptance), attestations:
 * [h(attestation), ...], checks: {authority, spatial, temporal, admissibility} each {ok,
 * measured, required, reason?}, policy, parties?: [{role, h, weight}]}.
 *
 * Settling is a later issue; this is what a verifier needs, and a builder for tests and tools.
 * API:
 * - `signSettlement(req, signer, credential, parents)`.
 * - `verifySettlement(bytes, anchors, atMs, opts)`: the 16 KiB bound before decoding, structure,
 *   the chain at `atMs` with a `settler` leaf whose scope covers place and kind, kid, low-S
 *   signature, iss = the credential's subject, "settled" only with every check ok.
 * - `resolveSettlement(settlement, known)`: its references against the objects of the same
 *   input (`known`, keyed by h() hex): each named object must be of the role it is named for and
 *   belong to this reservation and grant; a reference not found while the input holds objects of
 *   that role for the reservation is unresolved. A reference to nothing in the input is only
 *   counted (`absent`): the verifier was not given that object.
 * Codes: SETTLE_* (errors.ts); COSE_* and CHAIN_* pass through.
 */
import { type SignedObjectCode, signedObjectCodeOf } from './errors.ts';
import { randomBytes } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { HDR_KID, HDR_TYP, TYP_SETTLE, carriedCredentials, credentialHeader, decodeInboundSign1, encodeSign1, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import { CLAIM } from '../lineage/observation-types.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { isLowS, verifyEs256 } from '../signing/p256.ts';
import { verifyCredentialChain, type TrustAnchor } from './chain.ts';
import type { ChainVerify } from './chain-cache.ts';
import type { CredentialClaims } from './credential.ts';

export const SETTLEMENT_CHECKS = ['authority', 'spatial', 'temporal', 'admissibility'] as const;
export type SettlementCheckName = (typeof SETTLEMENT_CHECKS)[number];

export interface SettlementCheck {
  ok: boolean;
  measured: CborValue;
  required: CborValue;
  reason?: string;
}

export interface SettlementParty {
  role: string;
  h: Uint8Array;
  weight: number;
}

export interface SettlementBody {
  reservation: string;
  outcome: 'settled' | 'refused';
  grant: Uint8Array;
  acceptance?: Uint8Array;
  attestations: Uint8Array[];
  checks: Record<SettlementCheckName, SettlementCheck>;
  /** The outcome function, by name or as a map naming it and its parameters. */
  policy: string | Map<CborMapKey, CborValue>;
  parties?: SettlementParty[];
}

export interface Settlement extends SettlementBody {
  iss: string;
  iat: number;
  cti: Uint8Array;
  place: string;
  /** h(settlement). */
  hash: Uint8Array;
  signer: CredentialClaims;
}

export interface SettlementRequest {
  iss: string;
  place: string;
  nowMs: number;
  body: SettlementBody;
  /** Claims to set or replace after the others (tests of what a verifier refuses). */
  extra?: Map<CborMapKey, CborValue>;
}

function checkToCbor(c: SettlementCheck): CborValue {
  return { ok: c.ok, measured: c.measured, required: c.required, ...(c.reason !== undefined ? { reason: c.reason } : {}) };
}

export async function signSettlement(req: SettlementRequest, signer: Signer, credential: Uint8Array, parents: Uint8Array[] = []): Promise<Uint8Array> {
  const b = req.body;
  const body: { [k: string]: CborValue } = {
    reservation: b.reservation,
    outcome: b.outcome,
    grant: b.grant,
    attestations: b.attestations,
    checks: Object.fromEntries(SETTLEMENT_CHECKS.map((k) => [k, checkToCbor(b.checks[k])])),
    policy: b.policy,
  };
  if (b.acceptance) body.acceptance = b.acceptance;
  if (b.parties) body.parties = b.parties.map((p) => ({ role: p.role, h: p.h, weight: p.weight }));
  const claims = new Map<CborMapKey, CborValue>([
    [CLAIM.iss, req.iss],
    [CLAIM.iat, Math.floor(req.nowMs / 1000)],
    [CLAIM.cti, new Uint8Array(randomBytes(16))],
    [CLAIM.kind, 'settlement'],
    [CLAIM.place, req.place],
    [CLAIM.body, body],
  ]);
  for (const [k, v] of req.extra ?? []) claims.set(k, v);
  const payload = encodeDeterministic(claims);
  const p = protectedHeader(coseKeyThumbprint(await signer.publicKey()), TYP_SETTLE);
  const signature = await signer.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: credentialHeader(credential, parents), payload, signature });
}

export type SettlementVerdict = { ok: true; settlement: Settlement } | { ok: false; code: SignedObjectCode; reason: string; hash?: Uint8Array; reservation?: string };

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const h32 = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length === 32;

/** The body as DESIGN.md gives it, or the reason it is not. */
function parseBody(b: CborValue | undefined): SettlementBody | string {
  if (!(b instanceof Map)) return 'body (-65545) missing or not a map';
  const reservation = b.get('reservation');
  const outcome = b.get('outcome');
  const grant = b.get('grant');
  const acceptance = b.get('acceptance');
  const attestations = b.get('attestations');
  const checks = b.get('checks');
  const policy = b.get('policy');
  const parties = b.get('parties');
  if (typeof reservation !== 'string') return 'body reservation missing or not text';
  if (outcome !== 'settled' && outcome !== 'refused') return 'body outcome is neither "settled" nor "refused"';
  if (!h32(grant)) return 'body grant is not h(grant), 32 bytes';
  if (acceptance !== undefined && !h32(acceptance)) return 'body acceptance is not h(acceptance), 32 bytes';
  if (!Array.isArray(attestations) || !attestations.every(h32)) return 'body attestations is not an array of 32-byte hashes';
  if (!(checks instanceof Map)) return 'body checks missing or not a map';
  const parsed: Partial<Record<SettlementCheckName, SettlementCheck>> = {};
  for (const name of SETTLEMENT_CHECKS) {
    const c = checks.get(name);
    if (!(c instanceof Map) || typeof c.get('ok') !== 'boolean' || !c.has('measured') || !c.has('required')) return `check ${name} is not {ok, measured, required, reason?}`;
    const reason = c.get('reason');
    if (reason !== undefined && typeof reason !== 'string') return `check ${name} reason is not text`;
    parsed[name] = { ok: c.get('ok') as boolean, measured: c.get('measured'), required: c.get('required'), ...(reason !== undefined ? { reason } : {}) };
  }
  if (typeof policy !== 'string' && !(policy instanceof Map)) return 'body policy is neither a name nor a map';
  let ps: SettlementParty[] | undefined;
  if (parties !== undefined) {
    if (!Array.isArray(parties)) return 'body parties is not an array';
    ps = [];
    for (const p of parties) {
      if (!(p instanceof Map) || typeof p.get('role') !== 'string' || !h32(p.get('h')) || typeof p.get('weight') !== 'number' || !Number.isFinite(p.get('weight'))) {
        return 'each party is not {role, h, weight}';
      }
      ps.push({ role: p.get('role') as string, h: p.get('h') as Uint8Array, weight: p.get('weight') as number });
    }
  }
  return {
    reservation,
    outcome,
    grant,
    ...(acceptance !== undefined ? { acceptance } : {}),
    attestations: attestations as Uint8Array[],
    checks: parsed as Record<SettlementCheckName, SettlementCheck>,
    policy,
    ...(ps ? { parties: ps } : {}),
  };
}

export interface SettlementCheckOptions {
  expectPlace?: string;
  chains?: ChainVerify;
}

/** Verifies a settlement as at `atMs` (its own iat for an archived one). */
export function verifySettlement(bytes: Uint8Array, anchors: TrustAnchor[], atMs: number, opts: SettlementCheckOptions = {}): SettlementVerdict {
  let s;
  try {
    s = decodeInboundSign1(bytes);
  } catch (e) {
    return { ok: false, code: signedObjectCodeOf(e, 'SETTLE_MALFORMED'), reason: (e as Error).message };
  }
  const hash = sha256(s.payload);
  let reservation: string | undefined;
  const fail = (code: SignedObjectCode, reason: string): SettlementVerdict => ({ ok: false, code, reason, hash, ...(reservation !== undefined ? { reservation } : {}) });
  if (s.protectedHeader.get(HDR_TYP) !== TYP_SETTLE) return fail('SETTLE_WRONG_TYPE', `typ is not ${TYP_SETTLE}`);
  let m: CborValue;
  try {
    m = decodeCbor(s.payload);
  } catch (e) {
    return fail('SETTLE_MALFORMED', `payload: ${(e as Error).message}`);
  }
  if (!(m instanceof Map)) return fail('SETTLE_MALFORMED', 'payload is not a map');
  const iss = m.get(CLAIM.iss);
  const iat = m.get(CLAIM.iat);
  const cti = m.get(CLAIM.cti);
  const place = m.get(CLAIM.place);
  if (m.get(CLAIM.kind) !== 'settlement') return fail('SETTLE_MALFORMED', 'kind (-65537) is not settlement');
  if (typeof iss !== 'string' || typeof place !== 'string' || !int(iat) || iat < 0) return fail('SETTLE_MALFORMED', 'iss, place or iat missing or mistyped');
  if (!(cti instanceof Uint8Array) || cti.length !== 16) return fail('SETTLE_MALFORMED', 'cti (7) missing or not 16 bytes');
  const body = parseBody(m.get(CLAIM.body));
  if (typeof body === 'string') return fail('SETTLE_MALFORMED', body);
  reservation = body.reservation;
  const carried = carriedCredentials(s);
  if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'SETTLE_NO_CREDENTIAL' : carried.code, carried.reason);
  const need = { place, kind: 'settlement', typ: TYP_SETTLE };
  const atSec = Math.floor(atMs / 1000);
  const chain = opts.chains ? opts.chains(carried.leaf, carried.parents, atSec, need) : verifyCredentialChain(carried.leaf, carried.parents, anchors, atSec, need);
  if (!chain.ok) return fail(chain.code, `settlement credential link ${chain.link}: ${chain.reason}`);
  const leaf = chain.leaf;
  if (!eq(s.protectedHeader.get(HDR_KID) as Uint8Array, coseKeyThumbprint(leaf.subjectKey))) return fail('SETTLE_KID_MISMATCH', "kid is not the settler credential's key");
  if (!isLowS(s.signature)) return fail('SETTLE_BAD_SIGNATURE', 'signature is not low-S normalised');
  if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), leaf.subjectKey)) return fail('SETTLE_BAD_SIGNATURE', 'settlement signature does not verify');
  if (iss !== leaf.sub) return fail('SETTLE_ISS_MISMATCH', `iss ${iss} is not the settler credential's subject ${leaf.sub}`);
  if (opts.expectPlace !== undefined && place !== opts.expectPlace) return fail('SETTLE_WRONG_PLACE', `settlement is for ${place}, not ${opts.expectPlace}`);
  const failed = SETTLEMENT_CHECKS.filter((k) => !body.checks[k].ok);
  if (body.outcome === 'settled' && failed.length) return fail('SETTLE_INCONSISTENT', `outcome settled while check(s) ${failed.join(', ')} failed`);
  return { ok: true, settlement: { ...body, iss, iat, cti, place, hash, signer: leaf } };
}

/** An object of the same input a settlement may name, by its role. */
export interface KnownObject {
  role: 'grant' | 'acceptance' | 'attestation' | 'other';
  place?: string;
  reservation?: string;
  /** h(grant) that an acceptance or attestation names; a grant's own hash. */
  grant?: Uint8Array;
}

export interface Resolution {
  /** References found in the input and consistent with the settlement. */
  resolved: number;
  /** References to objects the input does not hold (nothing to check them against). */
  absent: number;
  problems: { code: 'SETTLE_UNRESOLVED' | 'SETTLE_REFERENCE_MISMATCH'; reason: string }[];
}

const short = (h: Uint8Array): string => Buffer.from(h).toString('hex').slice(0, 16) + '…';
const ROLE_NAME: Record<KnownObject['role'], string> = { grant: 'a grant', acceptance: 'an acceptance', attestation: 'a presence attestation', other: 'an object of another kind' };

/** Checks a verified settlement's references against `known` (h() hex → object) from the same input. */
export function resolveSettlement(st: Pick<Settlement, 'reservation' | 'place' | 'grant' | 'acceptance' | 'attestations'>, known: ReadonlyMap<string, KnownObject>): Resolution {
  const out: Resolution = { resolved: 0, absent: 0, problems: [] };
  const forThis = (role: KnownObject['role']): boolean => [...known.values()].some((o) => o.role === role && o.reservation === st.reservation && o.place === st.place);
  const refs: [KnownObject['role'], Uint8Array][] = [['grant', st.grant], ...(st.acceptance ? [['acceptance', st.acceptance] as [KnownObject['role'], Uint8Array]] : []), ...st.attestations.map((h) => ['attestation', h] as [KnownObject['role'], Uint8Array])];
  for (const [role, h] of refs) {
    const o = known.get(Buffer.from(h).toString('hex'));
    if (!o) {
      if (forThis(role)) out.problems.push({ code: 'SETTLE_UNRESOLVED', reason: `${role} ${short(h)} is not in the input, which holds another ${role} for reservation ${st.reservation}` });
      else out.absent++;
      continue;
    }
    const why =
      o.role !== role
        ? `${role} ${short(h)} names ${ROLE_NAME[o.role]}`
        : o.reservation !== st.reservation || o.place !== st.place
          ? `${role} ${short(h)} is for reservation ${o.reservation} at ${o.place}, not ${st.reservation} at ${st.place}`
          : role !== 'grant' && (!o.grant || !eq(o.grant, st.grant))
            ? `${role} ${short(h)} answers another grant than ${short(st.grant)}`
            : undefined;
    if (why) out.problems.push({ code: 'SETTLE_REFERENCE_MISMATCH', reason: why });
    else out.resolved++;
  }
  return out;
}

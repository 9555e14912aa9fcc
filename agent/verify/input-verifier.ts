/**
 * Everything in one input (an export, an audit file, what a broker delivered), every typ of the
 * wire contract, judged with the trust anchors alone (DESIGN.md, wire contract v1):
 * observations (signature, chain, then lineage: gaps, forks, reorders, rollbacks), grants,
 * acceptances (against their grant when it is in the same input), settlements (their references
 * resolved against the same input), revocation lists, and credentials on their own (their
 * parents found among the input's credentials). Objects other than observations are judged as at
 * their own time (iat, or t_ms for an acceptance): an archive outlives every validity period.
 * With revocation lists (given, or in the input) it also reports every object signed after its
 * signer's credential or a parent was revoked, and every grant whose cti is listed
 * (revocation-audit.ts). Each object gets one line with a stable code: `*_OK` when it holds.
 */
import { sha256 } from '../encoding/cose-key.ts';
import { HDR_TYP, MAX_SIGNED_OBJECT_BYTES, TYP_ACCEPT, TYP_CRED, TYP_GRANT, TYP_OBS, TYP_REVOKE, TYP_SETTLE, decodeSign1 } from '../encoding/cose-sign1.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { verifyCredentialChain, type TrustAnchor } from '../authority/chain.ts';
import { parseCredentialClaims } from '../authority/credential.ts';
import { verifyGrant, type ReservationGrant } from '../authority/grant.ts';
import { verifyAcceptance } from '../authority/acceptance.ts';
import { resolveSettlement, verifySettlement, type KnownObject } from '../authority/settlement.ts';
import { verifyRevocationList, type RevocationList } from '../authority/revocation.ts';
import { ObservationVerifier, type ObservationClaims } from './observation-verifier.ts';
import { LineageVerifier } from './lineage-verifier.ts';
import { revocationFindings, type Signed } from './revocation-audit.ts';
import type { VerdictCode } from './errors.ts';

export type ObjectTyp = 'observation' | 'credential' | 'grant' | 'acceptance' | 'settlement' | 'revocation' | 'unknown';

/** One line of the report. `item` counts from 0 in the input; revocation files are numbered after it. */
export interface ObjectVerdict {
  item: number;
  typ: ObjectTyp;
  ok: boolean;
  code: VerdictCode;
  text: string;
}

export interface InputReport {
  /** Items in the input. */
  checked: number;
  observations: number;
  /** One verdict per object that is not an observation, and per revocation list given apart. */
  verdicts: ObjectVerdict[];
  /** Every failure line: objects, observations, lineage, revocation findings. */
  failures: string[];
  duplicates: number;
  heads: { iss: string; seq: number; epoch: bigint }[];
  /** The first verified observation's seq (1 when none). */
  startsAt: number;
}

export interface InputOptions {
  /** From a broker: topics interleave, so observations are put in seq order and a chain may start after seq 1. */
  fromBroker?: boolean;
  /** Refuse a chain that does not start at seq 1 (an export after retention does not). */
  requireGenesis?: boolean;
  /** Revocation lists given apart from the input (`verify --revocations`), each with a name for its lines. */
  revocations?: { name: string; bytes: Uint8Array }[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const short = (b: Uint8Array): string => hex(b).slice(0, 16);

function typOf(bytes: Uint8Array): string | undefined {
  try {
    const t = decodeSign1(bytes).protectedHeader.get(HDR_TYP);
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The iat (6) of a signed object, in ms, or 0 when unreadable (the verifier then gives the reason). */
function iatMs(bytes: Uint8Array): number {
  try {
    const claims = decodeCbor(decodeSign1(bytes).payload);
    const iat = claims instanceof Map ? claims.get(6) : undefined;
    return typeof iat === 'number' && Number.isSafeInteger(iat) ? iat * 1000 : 0;
  } catch {
    return 0;
  }
}

/** Credentials a set of objects carries or is, by h() hex: where a credential alone finds its parents. */
function credentialIndex(items: Uint8Array[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const add = (c: Uint8Array): void => {
    try {
      out.set(hex(sha256(decodeSign1(c).payload)), c);
    } catch {
      // an unreadable credential is reported where it is used
    }
  };
  for (const bytes of items) {
    try {
      const s = decodeSign1(bytes);
      if (s.protectedHeader.get(HDR_TYP) === TYP_CRED) add(bytes);
      const leaf = s.unprotected.get(13);
      const parents = s.unprotected.get(-65601);
      for (const v of [leaf, ...(Array.isArray(parents) ? parents : [])]) if (v && typeof v === 'object' && 'encoded' in v && v.encoded instanceof Uint8Array) add(v.encoded);
    } catch {
      // reported by the object's own verifier
    }
  }
  return out;
}

const TYPS: Record<string, ObjectTyp> = { [TYP_OBS]: 'observation', [TYP_CRED]: 'credential', [TYP_GRANT]: 'grant', [TYP_ACCEPT]: 'acceptance', [TYP_SETTLE]: 'settlement', [TYP_REVOKE]: 'revocation' };

export function verifyInput(items: Uint8Array[], anchors: TrustAnchor[], opts: InputOptions = {}): InputReport {
  const verdicts: ObjectVerdict[] = [];
  const failures: string[] = [];
  const signed: Signed[] = [];
  const known = new Map<string, KnownObject>();
  const grants = new Map<string, ReservationGrant>();
  const lists: { list: RevocationList; item: number; name: string }[] = [];
  const settlements: number[] = [];
  const acceptances: number[] = [];
  const observations: { c: ObservationClaims; hash: Uint8Array; item: number }[] = [];
  const obsVerifier = new ObservationVerifier(anchors);
  let observationItems = 0;
  let credentials: Map<string, Uint8Array> | undefined;
  const verdict = (v: ObjectVerdict): void => {
    verdicts.push(v);
    if (!v.ok) failures.push(v.text);
  };
  const bad = (item: number, typ: ObjectTyp, code: VerdictCode, reason: string): void => verdict({ item, typ, ok: false, code, text: `item ${item}: ${typ === 'unknown' ? '' : `${typ}: `}${code}: ${reason}` });

  items.forEach((bytes, i) => {
    if (bytes.length > MAX_SIGNED_OBJECT_BYTES) return bad(i, 'unknown', 'COSE_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_SIGNED_OBJECT_BYTES}-byte bound of a signed object; not decoded`);
    const typ = typOf(bytes);
    const kind = typ === undefined ? 'observation' : TYPS[typ];
    if (!kind) return bad(i, 'unknown', 'VERIFY_UNSUPPORTED_TYP', `${typ} is not a typ of the wire contract`);
    if (kind === 'observation') {
      observationItems++;
      const r = obsVerifier.check(bytes);
      if (!r.ok) return void failures.push(`${r.seq !== undefined ? `seq ${r.seq}` : `item ${i}`}: ${r.code}: ${r.reason}`);
      // Kept once per observation anyway (lineage); settlements and revocations read it from here.
      observations.push({ c: r.claims, hash: r.hash, item: i });
    } else if (kind === 'grant') {
      // A grant in an archive is judged as at its own iat (it has long expired since).
      const r = verifyGrant(bytes, anchors, iatMs(bytes));
      if (!r.ok) return bad(i, kind, r.code, r.reason);
      const g = r.grant;
      grants.set(hex(g.hash), g);
      known.set(hex(g.hash), { role: 'grant', place: g.place, reservation: g.reservation, grant: g.hash });
      signed.push({ item: i, bytes, atMs: g.iat * 1000, what: `grant ${g.reservation}`, line: `item ${i}`, grantCti: g.cti });
      verdict({ item: i, typ: kind, ok: true, code: 'GRANT_OK', text: `item ${i}: grant ${g.reservation} h=${short(g.hash)} by ${g.iss}: GRANT_OK` });
    } else if (kind === 'acceptance') acceptances.push(i);
    else if (kind === 'settlement') settlements.push(i);
    else if (kind === 'revocation') {
      const r = verifyRevocationList(bytes, anchors, iatMs(bytes));
      if (!r.ok) return bad(i, kind, r.code, r.reason);
      lists.push({ list: r.list, item: i, name: `item ${i}` });
      signed.push({ item: i, bytes, atMs: r.list.iat * 1000, what: `revocation list seq ${r.list.seq}`, line: `item ${i}` });
    } else {
      credentials ??= credentialIndex(items);
      credentialAlone(bytes, i, anchors, credentials, verdict, signed);
    }
  });

  // Acceptances after grants: each is judged against its grant when the input holds it.
  for (const i of acceptances) {
    const bytes = items[i]!;
    const first = verifyAcceptance(bytes, anchors);
    const grant = first.ok ? grants.get(hex(first.acceptance.grant)) : undefined;
    const r = grant ? verifyAcceptance(bytes, anchors, { grant }) : first;
    if (!r.ok) {
      bad(i, 'acceptance', r.code, r.reason);
      continue;
    }
    const a = r.acceptance;
    known.set(hex(a.hash), { role: 'acceptance', place: a.place, reservation: a.reservation, grant: a.grant });
    signed.push({ item: i, bytes, atMs: a.tMs, what: `acceptance ${a.reservation}`, line: `item ${i}` });
    const against = grant ? `against grant h=${short(a.grant)} in this input` : `grant h=${short(a.grant)} not in this input`;
    verdict({ item: i, typ: 'acceptance', ok: true, code: 'ACCEPT_OK', text: `item ${i}: acceptance ${a.reservation} by ${a.iss} for ${a.unit.join(':')} h=${short(a.hash)}, ${against}: ACCEPT_OK` });
  }

  // Settlements last: their references resolve against everything above, observations included.
  if (settlements.length) for (const o of observations) known.set(hex(o.hash), observationRole(o.c));
  for (const i of settlements) {
    const bytes = items[i]!;
    const r = verifySettlement(bytes, anchors, iatMs(bytes));
    if (!r.ok) {
      bad(i, 'settlement', r.code, r.reason);
      continue;
    }
    const st = r.settlement;
    signed.push({ item: i, bytes, atMs: st.iat * 1000, what: `settlement ${st.reservation}`, line: `item ${i}` });
    const res = resolveSettlement(st, known);
    for (const p of res.problems) bad(i, 'settlement', p.code, p.reason);
    if (!res.problems.length) {
      verdict({
        item: i,
        typ: 'settlement',
        ok: true,
        code: 'SETTLE_OK',
        text: `item ${i}: settlement ${st.reservation} ${st.outcome} by ${st.iss} h=${short(st.hash)}, references: ${res.resolved} resolved, ${res.absent} not in this input: SETTLE_OK`,
      });
    }
  }

  // Lists given apart (--revocations) are numbered after the input's items.
  let n = items.length;
  for (const f of opts.revocations ?? []) {
    const item = n++;
    const r = verifyRevocationList(f.bytes, anchors, iatMs(f.bytes));
    if (!r.ok) verdict({ item, typ: 'revocation', ok: false, code: r.code, text: `${f.name}: revocation: ${r.code}: ${r.reason}` });
    else lists.push({ list: r.list, item, name: f.name });
  }
  if (lists.length) {
    for (const o of observations) {
      const revoked = o.c.kind === 'status' && o.c.body.get('event') === 'credential-revoked' ? o.c.body.get('revoked') : undefined;
      signed.push({ item: o.item, bytes: items[o.item]!, atMs: o.c.t, what: `observation seq ${o.c.seq}`, line: `seq ${o.c.seq}`, ...(revoked instanceof Uint8Array ? { announcesRevoked: revoked } : {}) });
    }
  }
  const found = revocationFindings(lists, signed);
  for (const v of found.verdicts) verdict(v);
  for (const f of found.failures) failures.push(f);

  // Lineage, over the verified observations.
  const lineage = new LineageVerifier();
  if (opts.fromBroker) observations.sort((a, b) => a.c.seq - b.c.seq);
  declareGaps(lineage, observations);
  const startsAt = observations.length ? observations[0]!.c.seq : 1;
  // An export made after retention pruned starts past seq 1 (the earlier part is in audit files).
  const partial = opts.fromBroker || (!opts.requireGenesis && startsAt > 1);
  for (const { c, hash } of observations) for (const f of lineage.add(c, hash, { allowStartAfterGenesis: partial })) failures.push(`seq ${f.seq}: ${f.code}: ${f.reason}`);

  verdicts.sort((a, b) => a.item - b.item);
  return { checked: items.length, observations: observationItems, verdicts, failures, duplicates: lineage.duplicates, heads: lineage.heads(), startsAt };
}

/** What a settlement may name an observation as: a `presence` is an attestation. */
function observationRole(c: ObservationClaims): KnownObject {
  const g = c.body.get('grant');
  const reservation = c.body.get('reservation');
  return {
    role: c.kind === 'presence' ? 'attestation' : 'other',
    place: c.place,
    ...(typeof reservation === 'string' ? { reservation } : {}),
    ...(g instanceof Uint8Array ? { grant: g } : {}),
  };
}

/** Signed gap observations declare seqs that were deliberately not published (storage pressure). */
function declareGaps(lineage: LineageVerifier, obs: { c: ObservationClaims }[]): void {
  for (const { c } of obs) {
    if (c.kind !== 'gap') continue;
    const ranges = c.body.get('seqs');
    if (!Array.isArray(ranges)) continue;
    for (const r of ranges) {
      if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' && r[1] >= r[0] && r[1] - r[0] < 10_000_000) {
        const seqs: number[] = [];
        for (let s = r[0]; s <= r[1]; s++) seqs.push(s);
        lineage.declareGap(c.iss, seqs);
      }
    }
  }
}

/**
 * A credential on its own: its parents are looked up by h() among the input's credentials (on
 * their own or carried by other objects), and the chain verified as at its iat.
 */
function credentialAlone(bytes: Uint8Array, i: number, anchors: TrustAnchor[], index: Map<string, Uint8Array>, verdict: (v: ObjectVerdict) => void, signed: Signed[]): void {
  const bad = (code: VerdictCode, reason: string): void => verdict({ item: i, typ: 'credential', ok: false, code, text: `item ${i}: credential: ${code}: ${reason}` });
  const claims = parseCredentialClaims(decodeSign1(bytes).payload);
  if (!claims) return bad('CHAIN_MALFORMED', 'credential claims are missing or mistyped');
  const parents: Uint8Array[] = [];
  let parent = claims.parent;
  while (parent && parents.length < 4) {
    const p = index.get(hex(parent));
    if (!p) return bad('CRED_PARENT_UNKNOWN', `its parent h=${short(parent)} is neither in the input nor carried by an object of it`);
    parents.push(p);
    parent = parseCredentialClaims(decodeSign1(p).payload)?.parent;
  }
  const r = verifyCredentialChain(bytes, parents, anchors, claims.iat);
  if (!r.ok) return bad(r.code, `credential link ${r.link}: ${r.reason}`);
  // Its signer is its parent: revocation judges the chain above it.
  if (parents.length) signed.push({ item: i, bytes, atMs: claims.iat * 1000, what: `credential of ${claims.sub}`, line: `item ${i}`, chain: parents });
  verdict({ item: i, typ: 'credential', ok: true, code: 'CRED_OK', text: `item ${i}: credential ${claims.sub} level ${claims.level} h=${short(r.hashes[0]!)}: CRED_OK` });
}

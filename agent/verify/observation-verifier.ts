/**
 * Offline verification of observations with the trust anchor alone (DESIGN.md): COSE_Sign1
 * structure, ES256 signature (low-S, @noble/curves as the portable verifier), kid equal to
 * the leaf credential's key thumbprint, the credential chain to a trust anchor at the
 * observation's time with scope covering its place and kind, and the claims' types.
 */
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import { TYP_OBS, carriedCredentials, decodeSign1, sigStructure, HDR_KID, HDR_TYP } from '../encoding/cose-sign1.ts';
import { verifyCredentialChain, type TrustAnchor } from '../authority/chain.ts';
import { verifyEs256, isLowS } from '../signing/p256.ts';
import { CLAIM } from '../lineage/observation.ts';
import type { CredentialClaims } from '../authority/credential.ts';
import { signedObjectCodeOf } from '../authority/errors.ts';
import type { VerdictCode } from './errors.ts';

export interface ObservationClaims {
  iss: string;
  seq: number;
  prev: Uint8Array;
  epoch: bigint;
  kind: string;
  place: string;
  t: number;
  iat: number;
  cti: Uint8Array;
  body: Map<CborMapKey, CborValue>;
  nonce?: Uint8Array;
  raw: Map<CborMapKey, CborValue>;
}

export type ObservationCheck =
  | { ok: true; claims: ObservationClaims; hash: Uint8Array; signer: CredentialClaims }
  | { ok: false; code: VerdictCode; reason: string; seq?: number };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function parseObservationClaims(payload: Uint8Array): ObservationClaims | string {
  let m: CborValue;
  try {
    m = decodeCbor(payload);
  } catch (e) {
    return `payload is not deterministic CBOR: ${(e as Error).message}`;
  }
  if (!(m instanceof Map)) return 'payload is not a map';
  const iss = m.get(CLAIM.iss);
  const seq = m.get(CLAIM.seq);
  const prev = m.get(CLAIM.prev);
  const epoch = m.get(CLAIM.epoch);
  const kind = m.get(CLAIM.kind);
  const place = m.get(CLAIM.place);
  const t = m.get(CLAIM.t);
  const iat = m.get(CLAIM.iat);
  const cti = m.get(CLAIM.cti);
  const body = m.get(CLAIM.body);
  const nonce = m.get(CLAIM.nonce);
  if (typeof iss !== 'string') return 'iss (1) missing or not text';
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return 'seq (-65539) missing or not a positive integer';
  if (!(prev instanceof Uint8Array) || prev.length !== 32) return 'prev (-65540) missing or not 32 bytes';
  // BigInt() below throws on a fractional number, and this runs before the signature is checked:
  // untrusted bytes must get a reason, not an exception.
  if (!((typeof epoch === 'number' && Number.isInteger(epoch) && epoch >= 0) || (typeof epoch === 'bigint' && epoch >= 0n))) return 'epoch (-65541) missing or not an unsigned integer';
  if (typeof kind !== 'string') return 'kind (-65537) missing';
  if (typeof place !== 'string') return 'place (-65538) missing';
  if (typeof t !== 'number' || !Number.isInteger(t)) return 't (-65542) missing or not an integer';
  if (typeof iat !== 'number') return 'iat (6) missing';
  if (!(cti instanceof Uint8Array) || cti.length !== 16) return 'cti (7) missing or not 16 bytes';
  if (!(body instanceof Map)) return 'body (-65545) missing or not a map';
  if (nonce !== undefined && !(nonce instanceof Uint8Array)) return 'nonce (10) is not bytes';
  return { iss, seq, prev, epoch: BigInt(epoch), kind, place, t, iat, cti, body, raw: m, ...(nonce ? { nonce } : {}) };
}

export class ObservationVerifier {
  private readonly chainCache = new Map<string, { leaf: CredentialClaims; nbf: number; exp: number }>();

  constructor(private readonly anchors: TrustAnchor[]) {}

  check(bytes: Uint8Array): ObservationCheck {
    let s;
    try {
      s = decodeSign1(bytes);
    } catch (e) {
      return { ok: false, code: signedObjectCodeOf(e, 'COSE_MALFORMED'), reason: (e as Error).message };
    }
    const claims = parseObservationClaims(s.payload);
    if (typeof claims === 'string') return { ok: false, code: 'OBS_MALFORMED', reason: claims };
    const fail = (code: VerdictCode, reason: string): ObservationCheck => ({ ok: false, code, reason, seq: claims.seq });
    if (s.protectedHeader.get(HDR_TYP) !== TYP_OBS) return fail('OBS_WRONG_TYPE', 'typ is not application/place-obs+cwt');
    const carried = carriedCredentials(s);
    if (!carried.ok) return fail(carried.code === 'COSE_NO_CREDENTIAL' ? 'OBS_NO_CREDENTIAL' : carried.code, carried.reason);
    const { leaf: cred, parents } = carried;
    let credId: Uint8Array;
    try {
      credId = sha256(decodeSign1(cred).payload);
    } catch (e) {
      return fail('CHAIN_MALFORMED', `credential link 0: ${(e as Error).message}`);
    }
    const credHash = claims.raw.get(CLAIM.cred);
    if (!(credHash instanceof Uint8Array) || !eq(credHash, credId)) return fail('OBS_CRED_MISMATCH', 'cred claim (-65544) is not h() of the carried credential');

    // Keyed on the whole credential bytes, signatures included: h() covers payloads only, and a
    // credential with the same payload but a broken signature must not hit a verified entry.
    const key = `${hex(sha256(cred))}:${parents.map((p) => hex(sha256(p))).join(',')}:${claims.place}:${claims.kind}`;
    const at = Math.floor(claims.t / 1000);
    let hit = this.chainCache.get(key);
    if (!hit || at < hit.nbf || at > hit.exp) {
      const r = verifyCredentialChain(cred, parents, this.anchors, at, { place: claims.place, kind: claims.kind, typ: TYP_OBS });
      if (!r.ok) return fail(r.code, `credential link ${r.link}: ${r.reason}`);
      hit = { leaf: r.leaf, nbf: Math.max(...r.links.map((l) => l.nbf)), exp: Math.min(...r.links.map((l) => l.exp)) };
      this.chainCache.set(key, hit);
    }
    if (claims.iss !== hit.leaf.sub) return fail('OBS_ISS_MISMATCH', `iss ${claims.iss} is not the credential's subject ${hit.leaf.sub}`);
    const kid = s.protectedHeader.get(HDR_KID) as Uint8Array;
    if (!eq(kid, coseKeyThumbprint(hit.leaf.subjectKey))) return fail('OBS_KID_MISMATCH', "kid is not the thumbprint of the credential's key");
    if (!isLowS(s.signature)) return fail('OBS_HIGH_S', 'signature is not low-S normalised');
    if (!verifyEs256(s.signature, sigStructure(s.protectedBytes, s.payload), hit.leaf.subjectKey)) return fail('OBS_BAD_SIGNATURE', 'signature does not verify');
    // h(): the payload's hash, what the next observation's prev names (DESIGN.md, wire contract v1).
    return { ok: true, claims, hash: sha256(s.payload), signer: hit.leaf };
  }
}

/**
 * Credentials (DESIGN.md, "Credential"): a CWT in a COSE_Sign1 of typ place-cred+cwt, signed
 * by the issuing authority, binding a subject's public key (claim 8 cnf, RFC 8747 §3.2) to a
 * scope and a validity period. Issuing is here; chain verification is in chain.ts.
 */
import { randomBytes } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyFromPublic, coseKeyThumbprint, publicFromCoseKey } from '../encoding/cose-key.ts';
import { TYP_CRED, decodeSign1, encodeSign1, objectHash, protectedHeader, sigStructure } from '../encoding/cose-sign1.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { scopeFromCbor, scopeToCbor, type Scope } from './scope.ts';
import { AuthorityError } from './errors.ts';

// CWT claim keys, RFC 8392 §4 and the project's private labels (DESIGN.md).
export const CWT = { iss: 1, sub: 2, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8, scope: 9, parent: -65546, depth: -65547, level: -65548 } as const;

/**
 * A member of `cnf` (private label; RFC 8747 §3.1 leaves cnf open to further members): the
 * key is resident in a TPM, as the issuer established at enrolment (agent/authority/enrolment.ts:
 * credential activation with an EK certified by a configured manufacturer CA, and a Certify of
 * the key). Value: {"res": "tpm2", "ek": SHA-256 of the EK certificate, DER}. Absent for a key
 * the issuer did not see proven TPM-resident.
 */
export const CNF_TPM = -65549;

export interface CredentialClaims {
  iss: string;
  sub: string;
  /** Seconds since the Unix epoch. */
  nbf: number;
  exp: number;
  iat: number;
  cti: Uint8Array;
  subjectKey: Uint8Array;
  scope: Scope;
  /** h(parent credential): SHA-256 of its payload; absent for a root signed by a trust anchor. */
  parent?: Uint8Array;
  depth: number;
  level: string;
  /** Present when cnf carries the TPM residence member. */
  tpm?: { ekCertHash: Uint8Array };
}

export interface IssueRequest {
  issuer: string;
  subject: string;
  subjectKey: Uint8Array;
  scope: Scope;
  notBefore: number;
  notAfter: number;
  now: number;
  depth: number;
  level: string;
  parentBytes?: Uint8Array;
  /** The subject key was proven TPM-resident (enrolment): recorded in cnf under CNF_TPM. */
  tpmResidence?: { ekCertHash: Uint8Array };
}

export async function issueCredential(req: IssueRequest, issuerSigner: Signer): Promise<Uint8Array> {
  const claims = new Map<CborMapKey, CborValue>([
    [CWT.iss, req.issuer],
    [CWT.sub, req.subject],
    [CWT.exp, req.notAfter],
    [CWT.nbf, req.notBefore],
    [CWT.iat, req.now],
    [CWT.cti, new Uint8Array(randomBytes(16))],
    [CWT.cnf, cnfOf(req)],
    [CWT.scope, scopeToCbor(req.scope)],
    [CWT.depth, req.depth],
    [CWT.level, req.level],
  ]);
  if (req.parentBytes) claims.set(CWT.parent, objectHash(req.parentBytes));
  const payload = encodeDeterministic(claims);
  const kid = coseKeyThumbprint(await issuerSigner.publicKey());
  const p = protectedHeader(kid, TYP_CRED);
  const signature = await issuerSigner.sign(sigStructure(p, payload));
  return encodeSign1({ protectedBytes: p, unprotected: new Map(), payload, signature });
}

function cnfOf(req: IssueRequest): Map<CborMapKey, CborValue> {
  const cnf = new Map<CborMapKey, CborValue>([[1, coseKeyFromPublic(req.subjectKey)]]);
  if (req.tpmResidence) {
    cnf.set(CNF_TPM, new Map<CborMapKey, CborValue>([['res', 'tpm2'], ['ek', req.tpmResidence.ekCertHash]]));
  }
  return cnf;
}

/** The subject of a credential (what an object signed under it names as its iss). */
export function issuerOf(credential: Uint8Array): string {
  const c = parseCredentialClaims(decodeSign1(credential).payload);
  if (!c) throw new AuthorityError('CREDENTIAL_MALFORMED', 'credential claims are missing or mistyped');
  return c.sub;
}

/** Parses credential claims from a payload; undefined when a required claim is missing or mistyped. */
export function parseCredentialClaims(payload: Uint8Array): CredentialClaims | undefined {
  let m: CborValue;
  try {
    m = decodeCbor(payload);
  } catch {
    return undefined;
  }
  if (!(m instanceof Map)) return undefined;
  const iss = m.get(CWT.iss);
  const sub = m.get(CWT.sub);
  const exp = m.get(CWT.exp);
  const nbf = m.get(CWT.nbf);
  const iat = m.get(CWT.iat);
  const cti = m.get(CWT.cti);
  const cnf = m.get(CWT.cnf);
  const depth = m.get(CWT.depth);
  const level = m.get(CWT.level);
  const parent = m.get(CWT.parent);
  const scope = scopeFromCbor(m.get(CWT.scope) ?? null);
  // Times and depth must be finite integers: NaN compares false both ways and would pass every check (fail open).
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (typeof iss !== 'string' || typeof sub !== 'string' || !int(exp) || !int(nbf) || !int(iat)) return undefined;
  if (!(cti instanceof Uint8Array) || !(cnf instanceof Map) || !int(depth) || typeof level !== 'string' || !scope) return undefined;
  if (parent !== undefined && !(parent instanceof Uint8Array && parent.length === 32)) return undefined;
  let subjectKey: Uint8Array;
  try {
    subjectKey = publicFromCoseKey(cnf.get(1) ?? null);
  } catch {
    return undefined;
  }
  const tpmMember = cnf.get(CNF_TPM);
  let tpm: { ekCertHash: Uint8Array } | undefined;
  if (tpmMember !== undefined) {
    const ek = tpmMember instanceof Map ? tpmMember.get('ek') : undefined;
    if (!(tpmMember instanceof Map) || tpmMember.get('res') !== 'tpm2' || !(ek instanceof Uint8Array) || ek.length !== 32) return undefined;
    tpm = { ekCertHash: ek };
  }
  return { iss, sub, exp, nbf, iat, cti, subjectKey, scope, depth, level, ...(parent ? { parent } : {}), ...(tpm ? { tpm } : {}) };
}

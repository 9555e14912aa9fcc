/**
 * A development/test place authority kept in a directory: `anchor.key` (the trust anchor's
 * private key, 0600), `anchor.cose` (its public COSE_Key, what verifiers are given),
 * `root.cred` (the anchor's own credential, level root) and `grantor.key` / `grantor.cred`
 * (an authority under the root that signs reservation grants: the taxonomy lets only an
 * `authority` sign grants, DESIGN.md "Authority taxonomy"). Production authorities keep their
 * keys elsewhere; this exists so tests and `npm start` can issue credentials and grants.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyFromPublic, publicFromCoseKey } from '../encoding/cose-key.ts';
import { createKeyFile, loadKeyFile, type SoftwareSigner } from '../signing/software-signer.ts';
import { issueCredential } from './credential.ts';
import { trustAnchor, type TrustAnchor } from './chain.ts';
import type { Scope } from './scope.ts';
import { AuthorityError } from './errors.ts';

/** A signer with its credential and the chain above it (leaf's parent first). */
export interface Issuer {
  signer: SoftwareSigner;
  credential: Uint8Array;
  parents: Uint8Array[];
}

export interface Authority {
  name: string;
  /** The anchor key; its credential is rootCredential. */
  signer: SoftwareSigner;
  rootCredential: Uint8Array;
  anchor: TrustAnchor;
  /** The authority-level credential under the root that signs grants. */
  grantor: Issuer;
}

const YEAR_S = 365 * 86_400;
export const ROOT_DEPTH = 3;

export async function initAuthority(dir: string, name: string, nowSec: number, scope: Scope): Promise<Authority> {
  if (existsSync(join(dir, 'anchor.key'))) throw new AuthorityError('AUTHORITY_EXISTS', `an authority already exists in ${dir}`, { dir });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const signer = createKeyFile(join(dir, 'anchor.key'));
  const pub = await signer.publicKey();
  const notAfter = nowSec + 10 * YEAR_S;
  const rootCredential = await issueCredential(
    { issuer: name, subject: name, subjectKey: pub, scope, notBefore: nowSec - 60, notAfter, now: nowSec, depth: ROOT_DEPTH, level: 'root' },
    signer,
  );
  const grantorSigner = createKeyFile(join(dir, 'grantor.key'));
  const grantorCredential = await issueCredential(
    {
      issuer: name,
      subject: `${name}:grantor`,
      subjectKey: await grantorSigner.publicKey(),
      scope,
      notBefore: nowSec - 60,
      notAfter,
      now: nowSec,
      depth: ROOT_DEPTH - 1,
      level: 'authority',
      parentBytes: rootCredential,
    },
    signer,
  );
  writeFileSync(join(dir, 'root.cred'), rootCredential);
  writeFileSync(join(dir, 'grantor.cred'), grantorCredential);
  writeFileSync(join(dir, 'anchor.cose'), encodeDeterministic(coseKeyFromPublic(pub)));
  writeFileSync(join(dir, 'name'), name + '\n');
  return { name, signer, rootCredential, anchor: trustAnchor(pub), grantor: { signer: grantorSigner, credential: grantorCredential, parents: [rootCredential] } };
}

export function loadAuthority(dir: string): Authority {
  if (!existsSync(join(dir, 'grantor.key'))) {
    throw new AuthorityError('AUTHORITY_OLD', `${dir} was made before the authority taxonomy (no grantor.key); make a new one with place-agent authority init`, { dir });
  }
  const signer = loadKeyFile(join(dir, 'anchor.key'));
  const rootCredential = new Uint8Array(readFileSync(join(dir, 'root.cred')));
  const name = readFileSync(join(dir, 'name'), 'utf8').trim();
  const grantor = { signer: loadKeyFile(join(dir, 'grantor.key')), credential: new Uint8Array(readFileSync(join(dir, 'grantor.cred'))), parents: [rootCredential] };
  return { name, signer, rootCredential, anchor: loadTrustAnchor(join(dir, 'anchor.cose')), grantor };
}

/** Reads a trust anchor public key: a COSE_Key file (CBOR) or a 65-byte raw point. */
export function loadTrustAnchor(path: string): TrustAnchor {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new AuthorityError('ANCHOR_UNREADABLE', `cannot read trust anchor ${path}`, { path }, { cause: e });
  }
  try {
    if (bytes.length === 65 && bytes[0] === 4) return trustAnchor(bytes);
    return trustAnchor(publicFromCoseKey(decodeCbor(bytes)));
  } catch (e) {
    throw new AuthorityError('ANCHOR_MALFORMED', `trust anchor ${path} is not a P-256 COSE_Key`, { path }, { cause: e });
  }
}

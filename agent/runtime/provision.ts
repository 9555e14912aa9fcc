/**
 * First-run provisioning for the embedded default (`npm start`): under the state directory it
 * creates the device key (0600), the UEID, a development authority and a device credential
 * issued by it. Later starts reuse all of it, so the chain continues.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyFile, loadKeyFile } from '../signing/software-signer.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { initAuthority, loadAuthority, type Authority } from '../authority/authority-dir.ts';
import { issueCredential, parseCredentialClaims } from '../authority/credential.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { OBSERVATION_KINDS } from '../authority/levels.ts';
import { readFileSync } from 'node:fs';
import { issuerUrn, loadOrCreateUeid } from './identity.ts';

export interface EmbeddedState {
  stateDir: string;
  keyFile: string;
  credFile: string;
  parentFile: string;
  authorityDir: string;
}

export function embeddedPaths(stateDir: string): EmbeddedState {
  return {
    stateDir,
    keyFile: join(stateDir, 'device.key'),
    credFile: join(stateDir, 'device.cred'),
    parentFile: join(stateDir, 'authority', 'root.cred'),
    authorityDir: join(stateDir, 'authority'),
  };
}

export async function provisionEmbedded(stateDir: string, place: string, nowMs: number, signer?: Signer): Promise<{ authority: Authority; signer: Signer; created: boolean }> {
  const p = embeddedPaths(stateDir);
  let created = false;
  const deviceSigner = signer ?? (existsSync(p.keyFile) ? loadKeyFile(p.keyFile) : ((created = true), createKeyFile(p.keyFile)));
  const nowSec = Math.floor(nowMs / 1000);
  const authority = existsSync(join(p.authorityDir, 'anchor.key'))
    ? loadAuthority(p.authorityDir)
    : ((created = true), await initAuthority(p.authorityDir, 'urn:place-authority:dev', nowSec, { places: ['urn:place:*'], kinds: ['*'], units: ['*'], maxWindowMs: 7 * 86_400_000, maxGraceMs: 86_400_000, maxToleranceM: 10_000 }));
  const ueid = loadOrCreateUeid(stateDir);
  const devicePub = await deviceSigner.publicKey();
  if (!existsSync(p.credFile) || created || !credentialBinds(p.credFile, devicePub)) {
    const cred = await issueCredential(
      {
        issuer: authority.name,
        subject: issuerUrn(ueid),
        subjectKey: devicePub,
        scope: { places: [place], kinds: [...OBSERVATION_KINDS], units: ['*'], maxWindowMs: 86_400_000, maxGraceMs: 3_600_000, maxToleranceM: 1_000 },
        notBefore: nowSec - 60,
        notAfter: nowSec + 365 * 86_400,
        now: nowSec,
        depth: 0,
        level: 'gateway',
        parentBytes: authority.rootCredential,
      },
      authority.signer,
    );
    writeFileSync(p.credFile, cred);
  }
  return { authority, signer: deviceSigner, created };
}

/** Does the credential file bind this public key? (A switch to a TPM key needs a new credential.) */
function credentialBinds(file: string, pub: Uint8Array): boolean {
  try {
    const c = parseCredentialClaims(decodeSign1(new Uint8Array(readFileSync(file))).payload);
    return !!c && Buffer.from(c.subjectKey).equals(Buffer.from(pub));
  } catch {
    return false;
  }
}

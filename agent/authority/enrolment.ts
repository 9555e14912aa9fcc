/**
 * Enrolment of a TPM-backed gateway, authority side (the device side is
 * agent/signing/tpm-enroll.ts, which describes the three messages).
 *
 * challenge: the EK certificate must chain to a configured manufacturer CA (X.509 signatures
 * and validity checked with node:crypto) and hold an RSA 2048 or an ECC P-256 key (EK Credential
 * Profile templates L-1 and L-2); the AK's public area must
 * be a fixedTPM restricted signing key. A fresh 32-byte challenge is sealed to that EK for the
 * AK's Name (MakeCredential, drivers/tpm/credential.ts) and remembered, single-use, for 10
 * minutes in <authority dir>/enroll-pending (mode 0600).
 *
 * finish: the pending challenge is consumed first (a second answer with the same id is
 * refused, ENROLL_CHALLENGE_UNKNOWN); the AK's signature over the TPMS_ATTEST, its type, its
 * extraData equal to the challenge (proof that the EK's TPM activated the credential with the
 * AK loaded) and the certified Name equal to the Name of the signing key's public area, which
 * must say fixedTPM, fixedParent and sensitiveDataOrigin. The result is the signing key and a
 * TPM residence record for the credential (`cnf` member, see credential.ts).
 */
import { X509Certificate, createHash, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuthorityError } from './errors.ts';
import { parseAttest } from '../../drivers/tpm/commands/attest.ts';
import { parsePublicArea } from '../../drivers/tpm/commands/keys.ts';
import { ST } from '../../drivers/tpm/constants.ts';
import { makeCredential } from '../../drivers/tpm/credential.ts';
import { verifyP256 } from '../../drivers/tpm/ecdsa.ts';
import { ATTESTATION_KEY_ATTRIBUTES, matchesTemplate, SIGNING_KEY_ATTRIBUTES, sec1FromXY } from '../../drivers/tpm/public-area.ts';
import type { EnrollmentAnswer, EnrollmentChallenge, EnrollmentRequest } from '../signing/tpm-enroll.ts';

export const CHALLENGE_TTL_MS = 10 * 60_000;

/** A key's residence in a TPM as the authority established it; goes into the credential's cnf. */
export interface TpmResidence {
  /** SHA-256 of the EK certificate (DER) the key was proven to share a TPM with. */
  ekCertHash: Uint8Array;
}

function certs(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    for (const m of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) out.push(new X509Certificate(m));
  }
  return out;
}

function within(c: X509Certificate, nowMs: number): boolean {
  return Date.parse(c.validFrom) <= nowMs && nowMs <= Date.parse(c.validTo);
}

/**
 * The EK certificate's public key, if the certificate is signed by one of `caPems` (the
 * configured manufacturer CA bundle: a root and the intermediates that sign EK certificates,
 * all trusted as configured) and it and its issuer are within their validity. Refused with
 * ENROLL_EK_UNTRUSTED otherwise, ENROLL_EK_MALFORMED if it cannot be read.
 */
export function verifyEkCertificate(der: Uint8Array, caPems: string[], nowMs: number): KeyObject {
  let ek: X509Certificate;
  try {
    ek = new X509Certificate(der);
  } catch (e) {
    throw new AuthorityError('ENROLL_EK_MALFORMED', 'the EK certificate is not an X.509 certificate', {}, { cause: e });
  }
  const anchors = certs(caPems);
  if (!anchors.length) throw new AuthorityError('ENROLL_NO_EK_CA', 'no manufacturer CA certificate is configured (--ek-ca)');
  if (!within(ek, nowMs)) throw new AuthorityError('ENROLL_EK_UNTRUSTED', `the EK certificate "${ek.subject}" is outside its validity period`);
  // The configured bundle is the trusted set (a manufacturer publishes its root and the intermediates that sign EK certificates).
  const issuer = anchors.find((a) => ek.checkIssued(a) && ek.verify(a.publicKey));
  if (!issuer) throw new AuthorityError('ENROLL_EK_UNTRUSTED', `the EK certificate (issuer "${ek.issuer}") does not chain to a configured manufacturer CA`);
  if (!within(issuer, nowMs)) throw new AuthorityError('ENROLL_EK_UNTRUSTED', `manufacturer CA "${issuer.subject}" is outside its validity period`);
  const k = ek.publicKey;
  const rsa2048 = k.asymmetricKeyType === 'rsa' && k.asymmetricKeyDetails?.modulusLength === 2048;
  const p256 = k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!rsa2048 && !p256) throw new AuthorityError('ENROLL_EK_UNSUPPORTED', 'only RSA 2048 and ECC P-256 endorsement keys are supported');
  return k;
}

const pendingDir = (authorityDir: string) => join(authorityDir, 'enroll-pending');

interface Pending {
  challenge: string;
  akPublicArea: string;
  ekCertHash: string;
  expiresMs: number;
}

/** Step 2: checks the request and seals a fresh challenge to the EK for the AK. */
export function startEnrollment(authorityDir: string, req: EnrollmentRequest, caPems: string[], nowMs: number): EnrollmentChallenge {
  const ekKey = verifyEkCertificate(req.ekCertificate, caPems, nowMs);
  let ak;
  try {
    ak = parsePublicArea(req.akPublicArea);
  } catch (e) {
    throw new AuthorityError('ENROLL_AK_INVALID', 'the AK public area is not an ECC P-256 key', {}, { cause: e });
  }
  if (!matchesTemplate(ak.pub, ATTESTATION_KEY_ATTRIBUTES)) throw new AuthorityError('ENROLL_AK_INVALID', 'the AK is not a fixedTPM restricted P-256 signing key');
  const challenge = randomBytes(32);
  const id = randomBytes(16).toString('hex');
  const made = makeCredential(ekKey, ak.name, challenge);
  const pending: Pending = {
    challenge: challenge.toString('hex'),
    akPublicArea: Buffer.from(req.akPublicArea).toString('hex'),
    ekCertHash: createHash('sha256').update(req.ekCertificate).digest('hex'),
    expiresMs: nowMs + CHALLENGE_TTL_MS,
  };
  mkdirSync(pendingDir(authorityDir), { recursive: true, mode: 0o700 });
  const fd = openSync(join(pendingDir(authorityDir), `${id}.json`), 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(pending));
  } finally {
    closeSync(fd);
  }
  return { id, ...made };
}

/** Step 4: consumes the challenge and checks the answer; returns the signing key (SEC1) and its TPM residence. */
export function finishEnrollment(authorityDir: string, ans: EnrollmentAnswer, nowMs: number): { subjectKey: Uint8Array; residence: TpmResidence } {
  if (!/^[0-9a-f]{32}$/.test(ans.id)) throw new AuthorityError('ENROLL_CHALLENGE_UNKNOWN', 'the answer names no challenge of ours');
  const path = join(pendingDir(authorityDir), `${ans.id}.json`);
  let pending: Pending;
  try {
    pending = JSON.parse(readFileSync(path, 'utf8')) as Pending;
    unlinkSync(path); // single use, whatever the outcome
  } catch (e) {
    throw new AuthorityError('ENROLL_CHALLENGE_UNKNOWN', `challenge ${ans.id} is unknown or was already used (a replayed answer?)`, { id: ans.id }, { cause: e });
  }
  if (nowMs > pending.expiresMs) throw new AuthorityError('ENROLL_CHALLENGE_EXPIRED', `challenge ${ans.id} expired`, { id: ans.id });
  const ak = parsePublicArea(Buffer.from(pending.akPublicArea, 'hex'));
  let attest;
  try {
    attest = parseAttest(ans.certifyInfo);
  } catch (e) {
    throw new AuthorityError('ENROLL_CERTIFY_INVALID', 'certifyInfo is not a TPMS_ATTEST', {}, { cause: e });
  }
  if (attest.type !== ST.ATTEST_CERTIFY || !attest.certify) throw new AuthorityError('ENROLL_CERTIFY_INVALID', 'the attestation is not a TPM2_Certify');
  if (ans.certifySignature.length !== 64 || !verifyP256(ans.certifySignature, ans.certifyInfo, sec1FromXY(ak.pub.x, ak.pub.y))) {
    throw new AuthorityError('ENROLL_CERTIFY_INVALID', 'the Certify signature does not verify under the AK the challenge was sealed for');
  }
  if (!Buffer.from(attest.extraData).equals(Buffer.from(pending.challenge, 'hex'))) {
    throw new AuthorityError('ENROLL_CHALLENGE_MISMATCH', 'the Certify does not carry the challenge: the credential was not activated by the TPM holding the EK');
  }
  let key;
  try {
    key = parsePublicArea(ans.signingKeyPublicArea);
  } catch (e) {
    throw new AuthorityError('ENROLL_KEY_NOT_TPM', 'the signing key public area is not an ECC P-256 key', {}, { cause: e });
  }
  if (!matchesTemplate(key.pub, SIGNING_KEY_ATTRIBUTES)) throw new AuthorityError('ENROLL_KEY_NOT_TPM', 'the signing key is not a fixedTPM, TPM-generated P-256 signing key');
  if (!Buffer.from(attest.certify.name).equals(Buffer.from(key.name))) throw new AuthorityError('ENROLL_KEY_NOT_TPM', 'the certified Name is not the Name of the signing key presented');
  return { subjectKey: sec1FromXY(key.pub.x, key.pub.y), residence: { ekCertHash: new Uint8Array(Buffer.from(pending.ekCertHash, 'hex')) } };
}

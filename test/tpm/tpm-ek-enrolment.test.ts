/**
 * Enrolment anchored in the endorsement key, on swtpm manufactured by `swtpm_setup
 * --create-ek-cert` with `swtpm_localca` as the manufacturer (each TPM with a CA of its own):
 * a genuine TPM enrols through its ECC P-256 EK (the default) or its RSA 2048 EK, and its
 * credential says the key is TPM-resident; a challenge sealed to another TPM's EK is not
 * activated; a software-made
 * enrolment (a software EK under a CA of its own, or the genuine EK certificate with a
 * software AK), a replayed answer, an expired challenge, an EK from an unknown manufacturer
 * and answers altered in transit are refused with coded errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { manufactureSwtpm, type ManufacturedTpm } from '../../hil/swtpm-ek.ts';
import { tpmKeysInit } from '../../agent/signing/tpm-provision.ts';
import { answerEnrollmentChallenge, createEnrollmentRequest, type EnrollmentAnswer } from '../../agent/signing/tpm-enroll.ts';
import { CHALLENGE_TTL_MS, finishEnrollment, startEnrollment } from '../../agent/authority/enrolment.ts';
import { issueCredential, parseCredentialClaims } from '../../agent/authority/credential.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { ATTESTATION_KEY_ATTRIBUTES, eccTemplate, marshalEccPublic, objectName } from '../../drivers/tpm/public-area.ts';
import { TpmWriter } from '../../drivers/tpm/marshal.ts';
import { ST, TPM_GENERATED_VALUE } from '../../drivers/tpm/constants.ts';

const run = promisify(execFile);
let mfg: ManufacturedTpm;
let tpm: SwtpmInstance;
let state: string;
let authDir: string;
let cas: string[];

beforeAll(async () => {
  mfg = await manufactureSwtpm();
  tpm = await startSwtpm({ stateDir: mfg.stateDir });
  state = mkdtempSync(join(tmpdir(), 'tpm-ek-state-'));
  authDir = mkdtempSync(join(tmpdir(), 'tpm-ek-authority-'));
  await tpmKeysInit({ tcti: tpm.tcti, stateDir: state });
  cas = [readFileSync(mfg.rootCaFile, 'utf8'), readFileSync(mfg.issuerCaFile, 'utf8')];
}, 60_000);

afterAll(async () => {
  await tpm?.stop();
  for (const d of [state, authDir, mfg?.stateDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const cfg = () => ({ tcti: tpm.tcti, stateDir: state });

/** A P-256 key's TPMT_PUBLIC with the AK's attributes: a software key dressed as a TPM AK. */
function softwareAk(): { sk: Uint8Array; publicArea: Uint8Array } {
  const sk = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(sk, false);
  return { sk, publicArea: marshalEccPublic(eccTemplate(ATTESTATION_KEY_ATTRIBUTES, pub.subarray(1, 33), pub.subarray(33))) };
}

describe('enrolment anchored in the endorsement key', () => {
  it('a genuine TPM enrols through its ECC P-256 EK (the default); the credential states that its key is TPM-resident, bound to the EK certificate', async () => {
    const req = await createEnrollmentRequest(cfg());
    expect(Buffer.from(req.ekCertificate).equals(readFileSync(mfg.eccEkCertFile))).toBe(true);
    const ch = startEnrollment(authDir, req, cas, Date.now());
    const ans = await answerEnrollmentChallenge(cfg(), ch);
    const done = finishEnrollment(authDir, ans, Date.now());
    expect(Buffer.from(done.residence.ekCertHash).equals(createHash('sha256').update(req.ekCertificate).digest())).toBe(true);

    const issuer = SoftwareSigner.generate();
    const now = Math.floor(Date.now() / 1000);
    const cred = await issueCredential(
      {
        issuer: 'urn:test:authority',
        subject: 'urn:test:gateway',
        subjectKey: done.subjectKey,
        scope: { places: ['urn:place:T:*'], kinds: ['presence'], units: ['*'], maxWindowMs: 1000, maxGraceMs: 0, maxToleranceM: 0 },
        notBefore: now,
        notAfter: now + 60,
        now,
        depth: 0,
        level: 'gateway',
        tpmResidence: done.residence,
      },
      issuer,
    );
    const claims = parseCredentialClaims(decodeSign1(cred).payload)!;
    expect(claims.tpm?.ekCertHash).toEqual(done.residence.ekCertHash);
    expect(Buffer.from(claims.subjectKey).equals(Buffer.from(done.subjectKey))).toBe(true);
    // The key the credential names is the one the gateway signs with.
    const { openTpmSigner } = await import('../../agent/signing/tpm-signer.ts');
    const s = await openTpmSigner(cfg());
    try {
      expect(Buffer.from(await s.publicKey()).equals(Buffer.from(done.subjectKey))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('a genuine TPM enrols through its RSA 2048 EK when asked; both EKs name the same TPM-resident key', async () => {
    const req = await createEnrollmentRequest(cfg(), { ek: 'rsa' });
    expect(Buffer.from(req.ekCertificate).equals(readFileSync(mfg.ekCertFile))).toBe(true);
    const ch = startEnrollment(authDir, req, cas, Date.now());
    expect(ch.encryptedSecret).toHaveLength(256);
    const done = finishEnrollment(authDir, await answerEnrollmentChallenge(cfg(), ch), Date.now());
    expect(Buffer.from(done.residence.ekCertHash).equals(createHash('sha256').update(readFileSync(mfg.ekCertFile)).digest())).toBe(true);
    const viaEcc = startEnrollment(authDir, await createEnrollmentRequest(cfg()), cas, Date.now());
    expect(viaEcc.encryptedSecret).toHaveLength(68);
    const doneEcc = finishEnrollment(authDir, await answerEnrollmentChallenge(cfg(), viaEcc), Date.now());
    expect(Buffer.from(doneEcc.subjectKey).equals(Buffer.from(done.subjectKey))).toBe(true);
  });

  it('a challenge sealed to the ECC EK of another TPM cannot be activated here', async () => {
    const other = await manufactureSwtpm();
    try {
      // The other TPM's genuine ECC EK certificate with this TPM's AK: the challenge is sealed to that EK.
      const mine = await createEnrollmentRequest(cfg());
      const ch = startEnrollment(authDir, { ekCertificate: new Uint8Array(readFileSync(other.eccEkCertFile)), akPublicArea: mine.akPublicArea }, [readFileSync(other.issuerCaFile, 'utf8')], Date.now());
      const e = await answerEnrollmentChallenge(cfg(), ch).catch((x: unknown) => x);
      // The TPM derives the seed with its own EK: the credential's HMAC does not check out (Part 3 §12.5).
      expect(e).toMatchObject({ code: 'TPM_RC_INTEGRITY' });
    } finally {
      rmSync(other.stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the same answer twice is refused (single-use challenge), and so is one after the challenge expired', async () => {
    const req = await createEnrollmentRequest(cfg());
    const ch = startEnrollment(authDir, req, cas, Date.now());
    const ans = await answerEnrollmentChallenge(cfg(), ch);
    expect(finishEnrollment(authDir, ans, Date.now()).subjectKey.length).toBe(65);
    expect(() => finishEnrollment(authDir, ans, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_CHALLENGE_UNKNOWN' }));
    const late = startEnrollment(authDir, req, cas, Date.now());
    const lateAns = await answerEnrollmentChallenge(cfg(), late);
    expect(() => finishEnrollment(authDir, lateAns, Date.now() + CHALLENGE_TTL_MS + 1)).toThrow(expect.objectContaining({ code: 'ENROLL_CHALLENGE_EXPIRED' }));
  });

  it('an EK whose certificate comes from another manufacturer CA is refused', async () => {
    const other = await manufactureSwtpm();
    const tpm2 = await startSwtpm({ stateDir: other.stateDir });
    try {
      const st = mkdtempSync(join(tmpdir(), 'tpm-ek-other-'));
      await tpmKeysInit({ tcti: tpm2.tcti, stateDir: st });
      const req = await createEnrollmentRequest({ tcti: tpm2.tcti, stateDir: st });
      expect(() => startEnrollment(authDir, req, cas, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_EK_UNTRUSTED' }));
      // The same request passes once that manufacturer's CA is configured: the refusal was about the CA.
      const otherCas = [readFileSync(other.issuerCaFile, 'utf8')];
      expect(startEnrollment(authDir, req, otherCas, Date.now()).id).toMatch(/^[0-9a-f]{32}$/);
      rmSync(st, { recursive: true, force: true });
    } finally {
      await tpm2.stop();
      rmSync(other.stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a software-made enrolment is refused: a software EK under its own CA, or the genuine EK certificate with a software AK', async () => {
    // 1. Everything in software: a self-made "manufacturer" CA (openssl) certifies a software RSA key as EK.
    const d = mkdtempSync(join(tmpdir(), 'soft-ek-'));
    const ossl = (args: string[]) => run('openssl', args, { cwd: d });
    await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Totally A TPM Maker']);
    await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ek.key', '-out', 'ek.csr', '-subj', '/CN=software EK']);
    await ossl(['x509', '-req', '-in', 'ek.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-outform', 'DER', '-out', 'ek.der']);
    const selfMade = { ekCertificate: new Uint8Array(readFileSync(join(d, 'ek.der'))), akPublicArea: softwareAk().publicArea };
    expect(() => startEnrollment(authDir, selfMade, cas, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_EK_UNTRUSTED' }));
    // Control: that certificate is well-formed and does chain to its own CA.
    expect(startEnrollment(authDir, selfMade, [readFileSync(join(d, 'ca.pem'), 'utf8')], Date.now()).id).toMatch(/^[0-9a-f]{32}$/);
    rmSync(d, { recursive: true, force: true });

    // 2. The genuine EK certificate (it is public) with a software AK: the challenge is sealed to the real
    //    EK, so software cannot recover it; a Certify made and signed in software carries a guess.
    const real = await createEnrollmentRequest(cfg());
    const ak = softwareAk();
    const ch = startEnrollment(authDir, { ekCertificate: real.ekCertificate, akPublicArea: ak.publicArea }, cas, Date.now());
    const keyPub = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    const keyArea = marshalEccPublic(eccTemplate(0x00040472, keyPub.subarray(1, 33), keyPub.subarray(33)));
    const attest = new TpmWriter()
      .u32(TPM_GENERATED_VALUE).u16(ST.ATTEST_CERTIFY).tpm2b(new Uint8Array(34)).tpm2b(randomBytes(32))
      .u32(0).u32(0).u32(0).u32(0).u8(1).u32(0).u32(0)
      .tpm2b(objectName(keyArea)).tpm2b(new Uint8Array(34))
      .finish();
    const forged: EnrollmentAnswer = { id: ch.id, signingKeyPublicArea: keyArea, certifyInfo: attest, certifySignature: p256.sign(attest, ak.sk) };
    expect(() => finishEnrollment(authDir, forged, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_CHALLENGE_MISMATCH' }));
    // And the AK must look like a TPM AK in the first place.
    const notAk = marshalEccPublic(eccTemplate(0x00040472, keyPub.subarray(1, 33), keyPub.subarray(33)));
    expect(() => startEnrollment(authDir, { ekCertificate: real.ekCertificate, akPublicArea: notAk }, cas, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_AK_INVALID' }));
  });

  it('answers altered in transit are refused: another signing key, a flipped attestation byte', async () => {
    const req = await createEnrollmentRequest(cfg());
    const a1 = await answerEnrollmentChallenge(cfg(), startEnrollment(authDir, req, cas, Date.now()));
    const other = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    const swapped = { ...a1, signingKeyPublicArea: marshalEccPublic(eccTemplate(0x00040472, other.subarray(1, 33), other.subarray(33))) };
    expect(() => finishEnrollment(authDir, swapped, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_KEY_NOT_TPM' }));
    const a2 = await answerEnrollmentChallenge(cfg(), startEnrollment(authDir, req, cas, Date.now()));
    const flipped = a2.certifyInfo.slice();
    flipped[flipped.length - 3]! ^= 1;
    expect(() => finishEnrollment(authDir, { ...a2, certifyInfo: flipped }, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_CERTIFY_INVALID' }));
    // A signing key whose public area is not a fixedTPM, TPM-generated key is refused even if certified.
    const a3 = await answerEnrollmentChallenge(cfg(), startEnrollment(authDir, req, cas, Date.now()));
    const area = Buffer.from(a3.signingKeyPublicArea);
    area.writeUInt32BE(area.readUInt32BE(4) & ~0x22, 4); // clear fixedTPM and sensitiveDataOrigin
    expect(() => finishEnrollment(authDir, { ...a3, signingKeyPublicArea: area }, Date.now())).toThrow(expect.objectContaining({ code: 'ENROLL_KEY_NOT_TPM' }));
  });
});

/**
 * Enrolment of a TPM-backed gateway, device side (the authority side is
 * agent/authority/enrolment.ts). Three messages:
 *
 * 1. request (device): an EK certificate from NV (ECC P-256 if present, else RSA 2048) and the
 *    AK's public area.
 * 2. challenge (authority): after checking the EK certificate against its manufacturer CAs,
 *    a fresh random challenge sealed to that EK for the AK's Name (MakeCredential).
 * 3. answer (device): TPM2_ActivateCredential recovers the challenge, which only the TPM that
 *    holds the EK can do, and only while an object with the AK's Name is loaded in it (Part 3
 *    §12.5); then the AK certifies the signing key (TPM2_Certify, Part 3 §18.2) with the
 *    challenge as qualifying data. The certified Name is nameAlg || SHA-256(TPMT_PUBLIC), and
 *    that public area says fixedTPM and sensitiveDataOrigin: the key was made in the TPM and
 *    cannot leave it.
 *
 * The AK (restricted signing, Part 1 §25.2.3: it signs only TPM-generated structures
 * beginning with TPM_GENERATED_VALUE) and the signing key are ordinary keys under the SRK,
 * loaded from tpm-key.json for the command and flushed after it; each is authorised with its
 * authValue in its own salted HMAC session. The EK is re-derived (template L-2 for the ECC P-256
 * EK, L-1 for the RSA 2048 one, whichever the challenge was sealed to) and used under
 * its policy, PolicySecret(TPM_RH_ENDORSEMENT) with the endorsement hierarchy's auth (empty
 * unless someone set one).
 */
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { certify, quote, type Attestation } from '../../drivers/tpm/commands/attest.ts';
import { activateCredential, sealedToEk } from '../../drivers/tpm/credential.ts';
import { createEk, EK_CERT_NV_INDEX, readEkCertificate, type EkKind } from '../../drivers/tpm/ek.ts';
import { flushContext } from '../../drivers/tpm/commands/context.ts';
import { loadKey, parsePublicArea } from '../../drivers/tpm/commands/keys.ts';
import { RH } from '../../drivers/tpm/constants.ts';
import { rawLowS } from '../../drivers/tpm/ecdsa.ts';
import { readStorageRoot } from '../../drivers/tpm/provision.ts';
import { eccTemplate, marshalEccPublic, objectName, sec1FromXY, xyFromSec1 } from '../../drivers/tpm/public-area.ts';
import { policySecret, SE, startSession, type AuthSession } from '../../drivers/tpm/session.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from './errors.ts';
import { withTpm, type TpmKeysConfig } from './tpm-provision.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from './tpm-key-files.ts';

export interface LoadedAttestationKeys {
  key: { handle: number; name: Uint8Array; auth: Uint8Array; publicKey: Uint8Array };
  ak: { handle: number; name: Uint8Array; auth: Uint8Array; publicKey: Uint8Array; publicArea: Uint8Array };
  /** Two salted sessions: Certify authorises two objects, and one session may appear only once. */
  sessions: [AuthSession, AuthSession];
}

/** Loads the signing key and the AK under the SRK for `fn`, with two salted sessions; flushes all of it after. */
export async function withAttestationKeys<T>(tpm: TpmClient, stateDir: string, fn: (k: LoadedAttestationKeys) => Promise<T>): Promise<T> {
  const { keyFile, authFile } = tpmKeyPaths(stateDir);
  const file = readKeyFile(keyFile);
  const auth = readAuthSecrets(authFile);
  if (!file.blobs.ak) throw new TpmError<SigningErrorCode>('TPM_NOT_PROVISIONED', `${keyFile} has no attestation key: run keys init --tpm`, {});
  const srk = await readStorageRoot(tpm, file.srk.handle, file.srkName);
  const flush: number[] = [];
  try {
    const s1 = await startSession(tpm, SE.HMAC, srk);
    flush.push(s1.handle);
    const s2 = await startSession(tpm, SE.HMAC, srk);
    flush.push(s2.handle);
    const key = await loadKey(tpm, srk, new Uint8Array(0), file.blobs.signingKey);
    flush.push(key.handle);
    const ak = await loadKey(tpm, srk, new Uint8Array(0), file.blobs.ak);
    flush.push(ak.handle);
    const kp = parsePublicArea(file.blobs.signingKey.publicArea).pub;
    const ap = parsePublicArea(file.blobs.ak.publicArea).pub;
    return await fn({
      key: { handle: key.handle, name: key.name, auth: auth.signingKey, publicKey: sec1FromXY(kp.x, kp.y) },
      ak: { handle: ak.handle, name: ak.name, auth: auth.ak, publicKey: sec1FromXY(ap.x, ap.y), publicArea: file.blobs.ak.publicArea },
      sessions: [s1, s2],
    });
  } finally {
    for (const h of flush.reverse()) await flushContext(tpm, h).catch(() => {});
  }
}

/** Part 3 §18.2 TPM2_Certify of the signing key by the AK, `qualifyingData` echoed as extraData. */
export function certifySigningKey(tpm: TpmClient, k: LoadedAttestationKeys, qualifyingData: Uint8Array): Promise<Attestation> {
  return certify(tpm, { handle: k.key.handle, name: k.key.name }, { handle: k.ak.handle, name: k.ak.name }, qualifyingData, {
    object: { session: k.sessions[0], authValue: k.key.auth, decrypt: true },
    ak: { session: k.sessions[1], authValue: k.ak.auth },
  });
}

export interface EnrollmentRequest {
  /** DER, as the manufacturer wrote it into NV. */
  ekCertificate: Uint8Array;
  /** The AK's TPMT_PUBLIC. */
  akPublicArea: Uint8Array;
}

export interface EnrollmentChallenge {
  id: string;
  credentialBlob: Uint8Array;
  encryptedSecret: Uint8Array;
}

export interface EnrollmentAnswer {
  id: string;
  /** The signing key's TPMT_PUBLIC. */
  signingKeyPublicArea: Uint8Array;
  /** The marshalled TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY, as signed by the AK. */
  certifyInfo: Uint8Array;
  /** ECDSA-SHA256 by the AK over certifyInfo, raw r || s (low-S). */
  certifySignature: Uint8Array;
}

/**
 * Step 1: what the authority needs to seal a challenge to this TPM. `ek` picks the endorsement
 * key; by default the ECC P-256 EK when the TPM holds its certificate, else the RSA 2048 EK.
 */
export async function createEnrollmentRequest(cfg: TpmKeysConfig, opts: { ek?: EkKind } = {}): Promise<EnrollmentRequest> {
  const file = readKeyFile(tpmKeyPaths(cfg.stateDir).keyFile);
  if (!file.blobs.ak) throw new TpmError<SigningErrorCode>('TPM_NOT_PROVISIONED', 'tpm-key.json has no attestation key: run keys init --tpm', {});
  const akPublicArea = file.blobs.ak.publicArea;
  return withTpm(cfg, async (tpm) => {
    if (opts.ek) return { ekCertificate: await readEkCertificate(tpm, EK_CERT_NV_INDEX[opts.ek]), akPublicArea };
    try {
      return { ekCertificate: await readEkCertificate(tpm, EK_CERT_NV_INDEX.ecc), akPublicArea };
    } catch (e) {
      if (!(e instanceof TpmError && e.code === 'TPM_NO_EK_CERT')) throw e;
      return { ekCertificate: await readEkCertificate(tpm, EK_CERT_NV_INDEX.rsa), akPublicArea };
    }
  });
}

/** Step 3: activate the credential with the EK and the AK, and certify the signing key with the recovered challenge. */
export async function answerEnrollmentChallenge(cfg: TpmKeysConfig, ch: EnrollmentChallenge): Promise<EnrollmentAnswer> {
  const file = readKeyFile(tpmKeyPaths(cfg.stateDir).keyFile);
  return withTpm(cfg, (tpm) =>
    withAttestationKeys(tpm, cfg.stateDir, async (k) => {
      let challenge: Uint8Array;
      // The EK the authority sealed the challenge to (the one whose certificate the request carried).
      const ek = await createEk(tpm, sealedToEk(ch.encryptedSecret));
      try {
        const policy = await startSession(tpm, SE.POLICY);
        try {
          await policySecret(tpm, RH.ENDORSEMENT, new Uint8Array(0), policy);
          challenge = await activateCredential(
            tpm,
            { handle: k.ak.handle, name: k.ak.name, auth: { session: k.sessions[1], authValue: k.ak.auth } },
            { handle: ek.handle, name: ek.name, auth: { policy } },
            ch,
          );
        } finally {
          await flushContext(tpm, policy.handle).catch(() => {});
        }
      } finally {
        await flushContext(tpm, ek.handle).catch(() => {});
      }
      const att = await certifySigningKey(tpm, k, challenge);
      return { id: ch.id, signingKeyPublicArea: file.blobs.signingKey.publicArea, certifyInfo: att.attest, certifySignature: rawLowS(att.signature) };
    }),
  );
}

/** A PCR quote by the AK over `nonce` (Part 3 §18.4), signature as raw r || s. */
export async function createQuote(cfg: TpmKeysConfig, nonce: Uint8Array, pcrs: number[]): Promise<{ quoted: Uint8Array; signature: Uint8Array; akPublicKey: Uint8Array }> {
  return withTpm(cfg, (tpm) =>
    withAttestationKeys(tpm, cfg.stateDir, async (k) => {
      const q = await quote(tpm, { handle: k.ak.handle, name: k.ak.name }, nonce, pcrs, { session: k.sessions[1], authValue: k.ak.auth });
      return { quoted: q.attest, signature: rawLowS(q.signature), akPublicKey: k.ak.publicKey };
    }),
  );
}

/** The Name of a P-256 key made from our template with this public point (Part 1 §16). */
export function templateName(publicKey: Uint8Array, objectAttributes: number): Uint8Array {
  const { x, y } = xyFromSec1(publicKey);
  return objectName(marshalEccPublic(eccTemplate(objectAttributes, x, y)));
}


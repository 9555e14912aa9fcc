/**
 * Enrolment for a TPM-backed gateway: the attestation key (AK), a restricted signing key
 * (TPM 2.0 Part 1 §25.2.3: it only signs TPM-generated structures beginning with
 * TPM_GENERATED_VALUE), signs a TPM2_Certify (Part 3 §18.2) of the device key, whose certified
 * Name is nameAlg || SHA-256(TPMT_PUBLIC): the public area includes fixedTPM and
 * sensitiveDataOrigin, so a matching Name means a non-exportable TPM key. Both keys are
 * ordinary keys under the storage root key, loaded from tpm-key.json for the command and
 * flushed after it; each is authorised with its authValue in its own salted HMAC session.
 */
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { certify, parseAttest, quote, type Attest, type Attestation } from '../../drivers/tpm/commands/attest.ts';
import { flushContext } from '../../drivers/tpm/commands/context.ts';
import { loadKey, parsePublicArea } from '../../drivers/tpm/commands/keys.ts';
import { ST } from '../../drivers/tpm/constants.ts';
import { rawLowS, verifyP256 } from '../../drivers/tpm/ecdsa.ts';
import { readStorageRoot } from '../../drivers/tpm/provision.ts';
import { ATTESTATION_KEY_ATTRIBUTES, SIGNING_KEY_ATTRIBUTES, eccTemplate, marshalEccPublic, objectName, sec1FromXY, xyFromSec1 } from '../../drivers/tpm/public-area.ts';
import { SE, startSession, type AuthSession } from '../../drivers/tpm/session.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import { withTpm, type TpmKeysConfig } from './tpm-provision.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from './tpm-key-files.ts';

export interface TpmEnrollment {
  devicePublicKey: Uint8Array;
  akPublicKey: Uint8Array;
  /** The marshalled TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY, as signed by the AK. */
  certifyInfo: Uint8Array;
  /** ECDSA-SHA256 by the AK over certifyInfo, raw r || s (low-S). */
  certifySignature: Uint8Array;
}

export type EnrollmentVerdict = { valid: true; attest: Attest } | { valid: false; reason: string };

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
  if (!file.blobs.ak) throw new TpmError('TPM_NOT_PROVISIONED', `${keyFile} has no attestation key: run keys init --tpm`, {});
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

/**
 * An enrolment request: the AK certifies the device key. `qualifyingData` (up to 64 bytes,
 * e.g. the authority's challenge) is echoed in the attestation's extraData.
 */
export async function createEnrollment(cfg: TpmKeysConfig & { qualifyingData?: Uint8Array }): Promise<TpmEnrollment> {
  return withTpm(cfg, (tpm) =>
    withAttestationKeys(tpm, cfg.stateDir, async (k) => {
      const att = await certifySigningKey(tpm, k, cfg.qualifyingData ?? new Uint8Array(0));
      return { devicePublicKey: k.key.publicKey, akPublicKey: k.ak.publicKey, certifyInfo: att.attest, certifySignature: rawLowS(att.signature) };
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

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Checks an enrolment: TPMS_ATTEST magic and type, the AK's signature over it, the certified
 * Name against the device key under our fixedTPM template, and the challenge if given. It does
 * not establish that the AK is a TPM key: nothing here ties it to an endorsement key.
 */
export function verifyEnrollment(e: TpmEnrollment, opts: { qualifyingData?: Uint8Array } = {}): EnrollmentVerdict {
  let attest: Attest;
  try {
    attest = parseAttest(e.certifyInfo);
  } catch (err) {
    return { valid: false, reason: `certifyInfo is not a TPMS_ATTEST: ${(err as Error).message}` };
  }
  if (attest.type !== ST.ATTEST_CERTIFY || !attest.certify) return { valid: false, reason: `attestation type 0x${attest.type.toString(16)} is not TPM_ST_ATTEST_CERTIFY` };
  let deviceName: Uint8Array;
  try {
    deviceName = templateName(e.devicePublicKey, SIGNING_KEY_ATTRIBUTES);
    templateName(e.akPublicKey, ATTESTATION_KEY_ATTRIBUTES);
  } catch (err) {
    return { valid: false, reason: `malformed public key: ${(err as Error).message}` };
  }
  if (e.certifySignature.length !== 64 || !verifyP256(e.certifySignature, e.certifyInfo, e.akPublicKey)) {
    return { valid: false, reason: 'certifySignature does not verify under the AK public key' };
  }
  if (!same(attest.certify.name, deviceName)) return { valid: false, reason: 'certified Name is not the Name of the device key under the fixedTPM signing template' };
  if (opts.qualifyingData && !same(attest.extraData, opts.qualifyingData)) return { valid: false, reason: 'extraData does not echo the challenge' };
  return { valid: true, attest };
}

/** An enrolment as JSON for the CLI and the authority: each byte string base64url, no padding. */
export interface TpmEnrollmentJson {
  devicePublicKey: string;
  akPublicKey: string;
  certifyInfo: string;
  certifySignature: string;
}

const ENROLLMENT_FIELDS = ['devicePublicKey', 'akPublicKey', 'certifyInfo', 'certifySignature'] as const;

export function enrollmentToJson(e: TpmEnrollment): TpmEnrollmentJson {
  const b = (u: Uint8Array) => Buffer.from(u).toString('base64url');
  return { devicePublicKey: b(e.devicePublicKey), akPublicKey: b(e.akPublicKey), certifyInfo: b(e.certifyInfo), certifySignature: b(e.certifySignature) };
}

/** Parses an enrolment's JSON strictly: exactly the four fields, base64url, plausible lengths. */
export function enrollmentFromJson(v: unknown): TpmEnrollment {
  const bad = (field: string, why: string) => new TpmError('TPM_ENROLLMENT_MALFORMED', `enrolment field "${field}" ${why}`, { field });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('(root)', 'is not an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(ENROLLMENT_FIELDS as readonly string[]).includes(k)) throw bad(k, 'is not allowed');
  const out: Partial<TpmEnrollment> = {};
  for (const f of ENROLLMENT_FIELDS) {
    const s = o[f];
    if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw bad(f, 'is not a base64url string');
    out[f] = new Uint8Array(Buffer.from(s, 'base64url'));
  }
  if (out.devicePublicKey!.length !== 65) throw bad('devicePublicKey', 'is not a 65-byte uncompressed point');
  if (out.akPublicKey!.length !== 65) throw bad('akPublicKey', 'is not a 65-byte uncompressed point');
  if (out.certifySignature!.length !== 64) throw bad('certifySignature', 'is not 64 bytes r || s');
  return out as TpmEnrollment;
}

/**
 * Provisioning and enrolment for a TPM-backed gateway, as functions the CLI calls
 * (`keys init`, `keys show`, `enroll`). Defaults: signing key 0x81010001, attestation key
 * (AK) 0x81010002, epoch counter NV index 0x01500101.
 *
 * Enrolment proves to an authority that the device key lives in this TPM: the AK, a
 * restricted signing key (TPM 2.0 Part 1 §25.2.3: it only signs TPM-generated structures
 * beginning with TPM_GENERATED_VALUE), signs a TPM2_Certify (Part 3 §18.2) of the device key,
 * whose certified Name is nameAlg || SHA-256(TPMT_PUBLIC): the public area includes
 * fixedTPM and sensitiveDataOrigin, so a matching Name means a non-exportable TPM key.
 * Trust in the AK itself (an EK credential chain) is outside this module.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { authValue } from '../../drivers/tpm/command.ts';
import { certify, parseAttest, quote, type Attest, type Attestation } from '../../drivers/tpm/commands/attest.ts';
import { readPublic } from '../../drivers/tpm/commands/object.ts';
import { RH, ST } from '../../drivers/tpm/constants.ts';
import { rawLowS, verifyP256 } from '../../drivers/tpm/ecdsa.ts';
import { TpmWriter } from '../../drivers/tpm/marshal.ts';
import { ensureCounter, ensurePersistentKey, prepareTpm } from '../../drivers/tpm/provision.ts';
import {
  ATTESTATION_KEY_ATTRIBUTES,
  SIGNING_KEY_ATTRIBUTES,
  eccTemplate,
  marshalEccPublic,
  objectName,
  sec1FromXY,
  xyFromSec1,
} from '../../drivers/tpm/public-area.ts';
import { RC, rcBase } from '../../drivers/tpm/response-code.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import { coseKeyThumbprint } from '../encoding/cose-key.ts';
import { DEFAULT_EPOCH_NV_INDEX, readCounterOrZero } from './tpm-epoch.ts';
import { DEFAULT_SIGNING_KEY_HANDLE } from './tpm-signer.ts';

export const DEFAULT_AK_HANDLE = 0x81010002;

export interface TpmKeysConfig {
  tcti: string;
  handle?: number;
  nvIndex?: number;
  akHandle?: number;
  /** Owner hierarchy authorisation (only `tpmKeysInit` needs it). Never logged. */
  ownerAuth?: string | Uint8Array;
  logger?: Logger;
  timeoutMs?: number;
}

export interface TpmKeysInfo {
  handle: number;
  /** Uncompressed SEC1, 65 bytes. */
  publicKey: Uint8Array;
  /** RFC 9679 COSE_Key thumbprint of the signing key (the `kid` of our COSE_Sign1). */
  kid: Uint8Array;
  nvIndex: number;
  counter: bigint;
  akHandle: number;
  akPublicKey: Uint8Array;
}

export interface TpmKeysInitResult extends TpmKeysInfo {
  created: { key: boolean; counter: boolean; ak: boolean };
}

export interface TpmEnrollment {
  devicePublicKey: Uint8Array;
  akPublicKey: Uint8Array;
  /** The marshalled TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY, as signed by the AK. */
  certifyInfo: Uint8Array;
  /** ECDSA-SHA256 by the AK over certifyInfo, raw r || s (low-S). */
  certifySignature: Uint8Array;
}

export type EnrollmentVerdict = { valid: true; attest: Attest } | { valid: false; reason: string };

async function withTpm<T>(cfg: TpmKeysConfig, fn: (tpm: TpmClient, log: Logger) => Promise<T>): Promise<T> {
  const log = (cfg.logger ?? silentLogger).child('tpm-enroll');
  const lease = acquireTpmClient(cfg.tcti, { logger: log, timeoutMs: cfg.timeoutMs });
  try {
    await prepareTpm(lease.client, log);
    return await fn(lease.client, log);
  } finally {
    await lease.release();
  }
}

function resolved(cfg: TpmKeysConfig): { handle: number; nvIndex: number; akHandle: number } {
  return { handle: cfg.handle ?? DEFAULT_SIGNING_KEY_HANDLE, nvIndex: cfg.nvIndex ?? DEFAULT_EPOCH_NV_INDEX, akHandle: cfg.akHandle ?? DEFAULT_AK_HANDLE };
}

/** Creates and persists the signing key and the AK and defines the counter, each only if absent. */
export async function tpmKeysInit(cfg: TpmKeysConfig): Promise<TpmKeysInitResult> {
  const { handle, nvIndex, akHandle } = resolved(cfg);
  return withTpm(cfg, async (tpm, log) => {
    const owner = authValue(cfg.ownerAuth);
    const key = await ensurePersistentKey(tpm, handle, SIGNING_KEY_ATTRIBUTES, owner, log);
    const counter = await ensureCounter(tpm, nvIndex, owner, log);
    const ak = await ensurePersistentKey(tpm, akHandle, ATTESTATION_KEY_ATTRIBUTES, owner, log);
    const publicKey = sec1FromXY(key.key.pub.x, key.key.pub.y);
    return {
      handle,
      publicKey,
      kid: coseKeyThumbprint(publicKey),
      nvIndex,
      counter: await readCounterOrZero(tpm, nvIndex),
      akHandle,
      akPublicKey: sec1FromXY(ak.key.pub.x, ak.key.pub.y),
      created: { key: key.created, counter: counter.created, ak: ak.created },
    };
  });
}

async function readKey(tpm: TpmClient, handle: number, what: string): Promise<Uint8Array> {
  try {
    const k = await readPublic(tpm, handle);
    return sec1FromXY(k.pub.x, k.pub.y);
  } catch (e) {
    if (e instanceof TpmError && e.rc !== undefined && rcBase(e.rc) === RC.HANDLE) {
      throw new TpmError('TPM_NOT_PROVISIONED', `no ${what} at handle 0x${handle.toString(16)}: run keys init first`, { handle }, { cause: e });
    }
    throw e;
  }
}

/** Reads what `tpmKeysInit` made, changing nothing. */
export async function tpmKeysShow(cfg: TpmKeysConfig): Promise<TpmKeysInfo> {
  const { handle, nvIndex, akHandle } = resolved(cfg);
  return withTpm(cfg, async (tpm) => {
    const publicKey = await readKey(tpm, handle, 'signing key');
    return {
      handle,
      publicKey,
      kid: coseKeyThumbprint(publicKey),
      nvIndex,
      counter: await readCounterOrZero(tpm, nvIndex),
      akHandle,
      akPublicKey: await readKey(tpm, akHandle, 'attestation key'),
    };
  });
}

/**
 * An enrolment request: the AK certifies the device key. `qualifyingData` (up to 64 bytes,
 * e.g. the authority's challenge) is echoed in the attestation's extraData.
 */
export async function createEnrollment(cfg: TpmKeysConfig & { qualifyingData?: Uint8Array }): Promise<TpmEnrollment> {
  const { handle, akHandle } = resolved(cfg);
  return withTpm(cfg, async (tpm) => {
    const devicePublicKey = await readKey(tpm, handle, 'signing key');
    const akPublicKey = await readKey(tpm, akHandle, 'attestation key');
    const att = await certify(tpm, handle, akHandle, cfg.qualifyingData ?? new Uint8Array(0));
    return { devicePublicKey, akPublicKey, certifyInfo: att.attest, certifySignature: rawLowS(att.signature) };
  });
}

/** A PCR quote by the AK over `nonce` (Part 3 §18.4), signature as raw r || s. */
export async function createQuote(cfg: TpmKeysConfig, nonce: Uint8Array, pcrs: number[]): Promise<{ quoted: Uint8Array; signature: Uint8Array; akPublicKey: Uint8Array }> {
  const { akHandle } = resolved(cfg);
  return withTpm(cfg, async (tpm) => {
    const akPublicKey = await readKey(tpm, akHandle, 'attestation key');
    const q: Attestation = await quote(tpm, akHandle, nonce, pcrs);
    return { quoted: q.attest, signature: rawLowS(q.signature), akPublicKey };
  });
}

/** The Name of a P-256 key made from our template with this public point (Part 1 §16). */
export function templateName(publicKey: Uint8Array, objectAttributes: number): Uint8Array {
  const { x, y } = xyFromSec1(publicKey);
  return objectName(marshalEccPublic(eccTemplate(objectAttributes, x, y)));
}

/**
 * Part 1 §16.6 Qualified Name of a primary object: nameAlg || H(hierarchy handle || Name);
 * the TPM reports it as qualifiedSigner in every TPMS_ATTEST.
 */
export function primaryQualifiedName(name: Uint8Array, hierarchy: number = RH.OWNER): Uint8Array {
  const h = sha256(new TpmWriter().u32(hierarchy).bytes(name).finish());
  return new TpmWriter().u16(0x000b).bytes(h).finish();
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Checks an enrolment: TPMS_ATTEST magic and type, the AK's signature over it, the
 * certified Name against the device key under our fixedTPM template, the signer's
 * qualified name against the AK under the restricted-AK template, and the challenge if given.
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
  let akName: Uint8Array;
  try {
    deviceName = templateName(e.devicePublicKey, SIGNING_KEY_ATTRIBUTES);
    akName = templateName(e.akPublicKey, ATTESTATION_KEY_ATTRIBUTES);
  } catch (err) {
    return { valid: false, reason: `malformed public key: ${(err as Error).message}` };
  }
  if (e.certifySignature.length !== 64 || !verifyP256(e.certifySignature, e.certifyInfo, e.akPublicKey)) {
    return { valid: false, reason: 'certifySignature does not verify under the AK public key' };
  }
  if (!same(attest.certify.name, deviceName)) return { valid: false, reason: 'certified Name is not the Name of the device key under the fixedTPM signing template' };
  if (!same(attest.qualifiedSigner, primaryQualifiedName(akName))) {
    return { valid: false, reason: 'qualifiedSigner is not a restricted owner-hierarchy primary AK with this public key' };
  }
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

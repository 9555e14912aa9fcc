/**
 * TPMT_PUBLIC for ECC keys (TPM 2.0 Part 2 §12.2.4 Table 200, §12.2.3.6 TPMS_ECC_PARMS) and
 * object names (Part 1 §16: Name = nameAlg || H_nameAlg(TPMT_PUBLIC)). Pure.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ALG, ECC_NIST_P256, TPMA_OBJECT } from './constants.ts';
import { TpmReader, TpmWriter } from './marshal.ts';
import { TpmError } from './tpm-error.ts';

/** Part 2 §6.3 TPM_ALG_ID: AES, and CFB as the symmetric mode of storage keys. */
const ALG_AES = 0x0006;
const ALG_CFB = 0x0043;

export interface EccPublic {
  type: number;
  nameAlg: number;
  objectAttributes: number;
  authPolicy: Uint8Array;
  /** TPM_ALG_NULL, or TPM_ALG_AES for a storage/decrypt key (always 128-bit CFB here). */
  symmetric: number;
  scheme: number;
  schemeHash: number;
  curveId: number;
  kdf: number;
  x: Uint8Array;
  y: Uint8Array;
}

const BASE_ATTRS =
  TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.userWithAuth | TPMA_OBJECT.noDA | TPMA_OBJECT.sign;

/** The device signing key: unrestricted, so it signs digests of any data (0x00040472). */
export const SIGNING_KEY_ATTRIBUTES = BASE_ATTRS;
/**
 * The attestation key (AK): restricted, so it only signs TPM-generated structures
 * (Part 1 §25.2.3 restricted signing keys) and can certify objects and quote PCRs (0x00050472).
 */
export const ATTESTATION_KEY_ATTRIBUTES = BASE_ATTRS | TPMA_OBJECT.restricted;

/**
 * The storage root key (SRK): a restricted decrypt ECC P-256 primary with AES-128-CFB, the
 * shape of the TCG TPM v2.0 Provisioning Guidance SRK (0x00030472: fixedTPM, fixedParent,
 * sensitiveDataOrigin, userWithAuth, noDA, restricted, decrypt). Parent of the signing key
 * and the AK, and the salt key of our sessions.
 */
export const STORAGE_KEY_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.userWithAuth | TPMA_OBJECT.noDA | TPMA_OBJECT.restricted | TPMA_OBJECT.decrypt;

export function storageRootTemplate(): EccPublic {
  return { ...eccTemplate(STORAGE_KEY_ATTRIBUTES), symmetric: ALG_AES, scheme: ALG.NULL, schemeHash: ALG.NULL };
}

/**
 * TCG EK Credential Profile for TPM Family 2.0, template L-2 (ECC NIST P-256 EK): attributes
 * 0x000300B2 (fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt),
 * authPolicy = policy A, PolicySecret(TPM_RH_ENDORSEMENT), AES-128-CFB, scheme and KDF null,
 * unique x and y 32 zero bytes each. CreatePrimary from it under the endorsement hierarchy
 * re-derives the key whose certificate the manufacturer put in NV.
 */
export const EK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent | TPMA_OBJECT.sensitiveDataOrigin | TPMA_OBJECT.adminWithPolicy | TPMA_OBJECT.restricted | TPMA_OBJECT.decrypt;
export const EK_POLICY_A = Uint8Array.from(Buffer.from('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa', 'hex'));

export function ekTemplateL2(): EccPublic {
  return {
    ...eccTemplate(EK_ATTRIBUTES, new Uint8Array(32), new Uint8Array(32)),
    authPolicy: EK_POLICY_A,
    symmetric: ALG_AES,
    scheme: ALG.NULL,
    schemeHash: ALG.NULL,
  };
}


/** An ECC NIST P-256 ECDSA-SHA256 template; x and y empty (Part 3 §24.1: unique is ignored as entropy only). */
export function eccTemplate(objectAttributes: number, x: Uint8Array = new Uint8Array(0), y: Uint8Array = new Uint8Array(0)): EccPublic {
  return {
    type: ALG.ECC,
    nameAlg: ALG.SHA256,
    objectAttributes,
    authPolicy: new Uint8Array(0),
    symmetric: ALG.NULL,
    scheme: ALG.ECDSA,
    schemeHash: ALG.SHA256,
    curveId: ECC_NIST_P256,
    kdf: ALG.NULL,
    x,
    y,
  };
}

export function marshalEccPublic(p: EccPublic): Uint8Array {
  const w = new TpmWriter();
  w.u16(p.type).u16(p.nameAlg).u32(p.objectAttributes).tpm2b(p.authPolicy);
  // TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): only the algorithm when it is TPM_ALG_NULL, else keyBits and mode too.
  if (p.symmetric === ALG.NULL) w.u16(p.symmetric);
  else if (p.symmetric === ALG_AES) w.u16(ALG_AES).u16(128).u16(ALG_CFB);
  else throw new TpmError('TPM_MARSHAL', `symmetric algorithm 0x${p.symmetric.toString(16)} is not supported (null or AES-128-CFB)`);
  // TPMT_ECC_SCHEME: scheme then, unless null, the hash algorithm.
  w.u16(p.scheme);
  if (p.scheme !== ALG.NULL) w.u16(p.schemeHash);
  w.u16(p.curveId);
  w.u16(p.kdf);
  if (p.kdf !== ALG.NULL) throw new TpmError('TPM_MARSHAL', 'only a null KDF is supported');
  w.tpm2b(p.x).tpm2b(p.y);
  return w.finish();
}

/** Reads a TPMT_PUBLIC of type ECC; returns the structure and its exact marshalled bytes. */
export function readEccPublic(r: TpmReader): { pub: EccPublic; bytes: Uint8Array } {
  const start = r.offset;
  const type = r.u16();
  if (type !== ALG.ECC) throw new TpmError('TPM_KEY_MISMATCH', `object type 0x${type.toString(16)} is not ECC`, { type });
  const nameAlg = r.u16();
  const objectAttributes = r.u32();
  const authPolicy = r.tpm2b();
  const symmetric = r.u16();
  if (symmetric !== ALG.NULL) {
    const bits = r.u16();
    const mode = r.u16();
    if (symmetric !== ALG_AES || bits !== 128 || mode !== ALG_CFB) {
      throw new TpmError('TPM_KEY_MISMATCH', `symmetric definition 0x${symmetric.toString(16)}/${bits}/0x${mode.toString(16)} is not AES-128-CFB`);
    }
  }
  const scheme = r.u16();
  const schemeHash = scheme !== ALG.NULL ? r.u16() : ALG.NULL;
  const curveId = r.u16();
  const kdf = r.u16();
  if (kdf !== ALG.NULL) r.u16();
  const x = r.tpm2b();
  const y = r.tpm2b();
  return { pub: { type, nameAlg, objectAttributes, authPolicy, symmetric, scheme, schemeHash, curveId, kdf, x, y }, bytes: r.since(start) };
}

/** TPM2B_PUBLIC wrapper: size then TPMT_PUBLIC. */
export function readTpm2bEccPublic(r: TpmReader): { pub: EccPublic; bytes: Uint8Array } {
  const inner = new TpmReader(r.tpm2b(), 'TPM2B_PUBLIC');
  const out = readEccPublic(inner);
  inner.end();
  return out;
}

/** Part 1 §16 "Names": nameAlg (u16) || SHA-256(marshalled TPMT_PUBLIC). */
export function objectName(publicArea: Uint8Array): Uint8Array {
  const out = new Uint8Array(34);
  out[0] = ALG.SHA256 >> 8;
  out[1] = ALG.SHA256 & 0xff;
  out.set(sha256(publicArea), 2);
  return out;
}

/** SEC1 uncompressed point 0x04 || X || Y with each coordinate left-padded to 32 bytes. */
export function sec1FromXY(x: Uint8Array, y: Uint8Array): Uint8Array {
  if (x.length > 32 || y.length > 32) throw new TpmError('TPM_KEY_MISMATCH', 'ECC coordinate longer than 32 bytes');
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(x, 33 - x.length);
  out.set(y, 65 - y.length);
  return out;
}

export function xyFromSec1(pub: Uint8Array): { x: Uint8Array; y: Uint8Array } {
  if (pub.length !== 65 || pub[0] !== 0x04) throw new TpmError('TPM_KEY_MISMATCH', 'public key is not a 65-byte uncompressed SEC1 point');
  return { x: pub.slice(1, 33), y: pub.slice(33, 65) };
}

/** Whether a public area is the P-256 ECDSA-SHA256 signing key shape we create, with these attributes. */
export function matchesTemplate(p: EccPublic, objectAttributes: number): boolean {
  return (
    p.type === ALG.ECC &&
    p.nameAlg === ALG.SHA256 &&
    p.objectAttributes === objectAttributes &&
    p.curveId === ECC_NIST_P256 &&
    p.scheme === ALG.ECDSA &&
    p.schemeHash === ALG.SHA256
  );
}

/**
 * The endorsement key (EK) and its certificate, as the TCG EK Credential Profile for TPM
 * Family 2.0 defines them: the RSA 2048 EK of template L-1 with its certificate in NV index
 * 0x01C00002, and the ECC NIST P-256 EK of template L-2 with its certificate in 0x01C0000A.
 * Each is re-derived from the endorsement seed by TPM2_CreatePrimary, so it is the key the
 * manufacturer certified.
 */
import { X509Certificate, type JsonWebKey } from 'node:crypto';
import type { TpmClient } from './client.ts';
import { ALG, CC, RH } from './constants.ts';
import { TpmReader, TpmWriter } from './marshal.ts';
import { nvRead, nvReadPublic } from './commands/nv.ts';
import { createPrimary, permanentName } from './commands/object.ts';
import { flushContext } from './commands/context.ts';
import { EK_ATTRIBUTES, EK_POLICY_A, ekTemplateL2, objectName, readEccPublic, type EccPublic } from './public-area.ts';
import type { Authorization } from './session.ts';
import { TpmError } from './tpm-error.ts';

/** EK Credential Profile, "EK Certificate NV indices" (low range): the RSA 2048 EK certificate. */
export const EK_CERT_NV_INDEX_RSA2048 = 0x01c00002;
/** The same table: the ECC NIST P-256 EK certificate. */
export const EK_CERT_NV_INDEX_ECC_P256 = 0x01c0000a;

export type EkKind = 'rsa' | 'ecc';

export const EK_CERT_NV_INDEX: Record<EkKind, number> = { rsa: EK_CERT_NV_INDEX_RSA2048, ecc: EK_CERT_NV_INDEX_ECC_P256 };

export interface EndorsementKey {
  kind: EkKind;
  /** Transient: the caller flushes it. */
  handle: number;
  publicArea: Uint8Array;
  name: Uint8Array;
}

const ALG_AES = 0x0006;
const ALG_CFB = 0x0043;

/**
 * Template L-1 (RSA 2048, storage): type RSA, nameAlg SHA-256, attributes 0x000300B2,
 * authPolicy = policy A (PolicySecret(TPM_RH_ENDORSEMENT)), AES-128-CFB, scheme null,
 * keyBits 2048, exponent 0 (65537), unique 256 zero bytes. Part 2 §12.2.3.5 TPMS_RSA_PARMS.
 */
export function ekTemplateL1(): Uint8Array {
  return new TpmWriter()
    .u16(ALG.RSA)
    .u16(ALG.SHA256)
    .u32(EK_ATTRIBUTES)
    .tpm2b(EK_POLICY_A)
    .u16(ALG_AES).u16(128).u16(ALG_CFB)
    .u16(ALG.NULL)
    .u16(2048)
    .u32(0)
    .tpm2b(new Uint8Array(256))
    .finish();
}

/** The modulus of an RSA public area of the L-1 shape; anything else is refused. */
export function ekModulus(publicArea: Uint8Array): Uint8Array {
  const r = new TpmReader(publicArea, 'EK TPMT_PUBLIC');
  const type = r.u16();
  const nameAlg = r.u16();
  const attrs = r.u32();
  const policy = r.tpm2b();
  const sym = [r.u16(), r.u16(), r.u16()];
  const scheme = r.u16();
  const bits = r.u16();
  const exponent = r.u32();
  const n = r.tpm2b();
  r.end();
  const okPolicy = Buffer.from(policy).equals(Buffer.from(EK_POLICY_A));
  if (type !== ALG.RSA || nameAlg !== ALG.SHA256 || attrs !== EK_ATTRIBUTES || !okPolicy || sym[0] !== ALG_AES || scheme !== ALG.NULL || bits !== 2048 || exponent !== 0 || n.length !== 256) {
    throw new TpmError('TPM_KEY_MISMATCH', 'the endorsement key is not of the EK Credential Profile template L-1', {});
  }
  return n;
}

/**
 * Part 3 §24.1 TPM2_CreatePrimary of the EK under the endorsement hierarchy: template L-1 (RSA)
 * or L-2 (ECC P-256). The public area the TPM returns must be of that template (for the ECC EK,
 * its point is then a salt key and a credential-protection key the caller can use).
 */
export async function createEk(tpm: TpmClient, kind: EkKind = 'rsa', endorsementAuth: Authorization = new Uint8Array(0)): Promise<EndorsementKey> {
  if (kind === 'ecc') {
    const k = await createPrimary(tpm, ekTemplateL2(), endorsementAuth, RH.ENDORSEMENT);
    try {
      ekPoint(k.publicArea);
    } catch (e) {
      await flushContext(tpm, k.handle).catch(() => {});
      throw e;
    }
    return { kind, handle: k.handle, publicArea: k.publicArea, name: objectName(k.publicArea) };
  }
  const w = new TpmWriter();
  w.sized((s) => s.tpm2b(new Uint8Array(0)).tpm2b(new Uint8Array(0)));
  w.tpm2b(ekTemplateL1());
  w.tpm2b(new Uint8Array(0));
  w.u32(0);
  const { handles, params } = await tpm.execute(
    { cc: CC.CreatePrimary, handles: [RH.ENDORSEMENT], names: [permanentName(RH.ENDORSEMENT)], auths: [endorsementAuth], params: w.finish() },
    { idempotent: false, responseHandles: 1 },
  );
  const publicArea = params.tpm2b();
  try {
    ekModulus(publicArea);
  } catch (e) {
    await flushContext(tpm, handles[0]!).catch(() => {});
    throw e;
  }
  return { kind, handle: handles[0]!, publicArea, name: objectName(publicArea) };
}

/** The point of an ECC public area of the L-2 shape; anything else is refused. */
export function ekPoint(publicArea: Uint8Array): EccPublic {
  let pub: EccPublic;
  try {
    const r = new TpmReader(publicArea, 'EK TPMT_PUBLIC');
    pub = readEccPublic(r).pub;
    r.end();
  } catch (e) {
    throw new TpmError('TPM_KEY_MISMATCH', 'the endorsement key is not an ECC key of template L-2', {}, { cause: e });
  }
  const want = ekTemplateL2();
  const same =
    pub.nameAlg === want.nameAlg &&
    pub.objectAttributes === want.objectAttributes &&
    Buffer.from(pub.authPolicy).equals(Buffer.from(want.authPolicy)) &&
    pub.symmetric === want.symmetric &&
    pub.scheme === want.scheme &&
    pub.curveId === want.curveId &&
    pub.kdf === want.kdf &&
    pub.x.length === 32 &&
    pub.y.length === 32;
  if (!same) throw new TpmError('TPM_KEY_MISMATCH', 'the endorsement key is not of the EK Credential Profile template L-2', {});
  return pub;
}

/**
 * Whether the ECC EK's point is the key of its certificate (DER). The chain of that certificate
 * to a manufacturer CA is the enrolling authority's check; here it ties the EK the TPM answered
 * with to the one the manufacturer certified, so an interposer cannot hand us a salt key of its own
 * without also faking the certificate the authority will check.
 */
export function ekMatchesCertificate(pub: EccPublic, der: Uint8Array): boolean {
  let jwk: JsonWebKey;
  try {
    jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
  } catch {
    return false;
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return false;
  return Buffer.from(jwk.x!, 'base64url').equals(Buffer.from(pub.x)) && Buffer.from(jwk.y!, 'base64url').equals(Buffer.from(pub.y));
}

/** The EK certificate (DER) from its NV index, read in chunks the TPM's NV buffer can carry. */
export async function readEkCertificate(tpm: TpmClient, nvIndex = EK_CERT_NV_INDEX_RSA2048): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await nvReadPublic(tpm, nvIndex)).dataSize;
  } catch (e) {
    throw new TpmError('TPM_NO_EK_CERT', `no EK certificate in NV index 0x${nvIndex.toString(16)}: this TPM was not given one by its manufacturer`, { nvIndex }, { cause: e });
  }
  const parts: Uint8Array[] = [];
  for (let off = 0; off < size; off += 512) parts.push(await nvRead(tpm, nvIndex, Math.min(512, size - off), off));
  const der = Buffer.concat(parts);
  // A DER SEQUENCE may be followed by padding in the index: keep exactly its own length.
  if (der[0] !== 0x30) throw new TpmError('TPM_NO_EK_CERT', 'the EK certificate index does not hold a DER certificate', { nvIndex });
  const lenByte = der[1]!;
  const len = lenByte < 0x80 ? lenByte + 2 : 2 + (lenByte & 0x7f) + der.subarray(2, 2 + (lenByte & 0x7f)).reduce((a, b) => a * 256 + b, 0);
  if (len > der.length) throw new TpmError('TPM_NO_EK_CERT', 'the EK certificate in NV is truncated', { nvIndex });
  return new Uint8Array(der.subarray(0, len));
}

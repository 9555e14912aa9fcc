/**
 * The endorsement key (EK) and its certificate, as the TCG EK Credential Profile for TPM
 * Family 2.0 defines them: the RSA 2048 EK of template L-1 (re-derived from the endorsement
 * seed by TPM2_CreatePrimary, so it is the key the manufacturer certified) and its
 * certificate in NV index 0x01C00002. Only the RSA EK is supported here.
 */
import type { TpmClient } from './client.ts';
import { ALG, CC, RH } from './constants.ts';
import { TpmReader, TpmWriter } from './marshal.ts';
import { nvRead, nvReadPublic } from './commands/nv.ts';
import { permanentName } from './commands/object.ts';
import { EK_ATTRIBUTES, EK_POLICY_A, objectName } from './public-area.ts';
import type { Authorization } from './session.ts';
import { TpmError } from './tpm-error.ts';

/** EK Credential Profile, "EK Certificate NV indices": the RSA 2048 EK certificate. */
export const EK_CERT_NV_INDEX_RSA2048 = 0x01c00002;

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
 * Part 3 §24.1 TPM2_CreatePrimary of the L-1 EK under the endorsement hierarchy. Returns the
 * transient handle (the caller flushes it), its public area, Name and modulus.
 */
export async function createEk(tpm: TpmClient, endorsementAuth: Authorization = new Uint8Array(0)): Promise<{ handle: number; publicArea: Uint8Array; name: Uint8Array; modulus: Uint8Array }> {
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
  return { handle: handles[0]!, publicArea, name: objectName(publicArea), modulus: ekModulus(publicArea) };
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

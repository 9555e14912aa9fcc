/** PCR_Read, Certify, Quote and TPMS_ATTEST (TPM 2.0 Part 3 §22.4, §18.2, §18.4; Part 2 §10.12). */
import type { TpmClient } from '../client.ts';
import { ALG, CC, ST, TPM_GENERATED_VALUE } from '../constants.ts';
import { TpmReader, TpmWriter } from '../marshal.ts';
import { TpmError } from '../tpm-error.ts';
import { readEcdsaSignature, type EcdsaSignature } from './sign.ts';
import type { Authorization } from '../session.ts';

export interface PcrSelection {
  hashAlg: number;
  pcrs: number[];
}

/** Part 2 §10.6.2 TPML_PCR_SELECTION with a 3-byte bitmap (PCRs 0..23). */
function writePcrSelection(w: TpmWriter, sels: PcrSelection[]): void {
  w.u32(sels.length);
  for (const s of sels) {
    const bitmap = new Uint8Array(3);
    for (const p of s.pcrs) {
      if (p < 0 || p > 23) throw new TpmError('TPM_MARSHAL', `PCR ${p} out of range 0..23`);
      bitmap[p >> 3]! |= 1 << (p & 7);
    }
    w.u16(s.hashAlg).u8(3).bytes(bitmap);
  }
}

function readPcrSelection(r: TpmReader): PcrSelection[] {
  const n = r.u32();
  const out: PcrSelection[] = [];
  for (let i = 0; i < n; i++) {
    const hashAlg = r.u16();
    const bitmap = r.bytes(r.u8());
    const pcrs: number[] = [];
    bitmap.forEach((b, j) => {
      for (let k = 0; k < 8; k++) if (b & (1 << k)) pcrs.push(j * 8 + k);
    });
    out.push({ hashAlg, pcrs });
  }
  return out;
}

/** Part 3 §22.4 TPM2_PCR_Read of SHA-256 banks. */
export async function pcrRead(tpm: TpmClient, pcrs: number[]): Promise<{ updateCounter: number; selection: PcrSelection[]; digests: Uint8Array[] }> {
  const w = new TpmWriter();
  writePcrSelection(w, [{ hashAlg: ALG.SHA256, pcrs }]);
  const { params: r } = await tpm.execute({ cc: CC.PCR_Read, params: w.finish() }, { idempotent: true });
  const updateCounter = r.u32();
  const selection = readPcrSelection(r);
  const n = r.u32();
  const digests: Uint8Array[] = [];
  for (let i = 0; i < n; i++) digests.push(r.tpm2b());
  return { updateCounter, selection, digests };
}

export interface Attest {
  magic: number;
  type: number;
  qualifiedSigner: Uint8Array;
  extraData: Uint8Array;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  /** TPMS_CERTIFY_INFO when type is TPM_ST_ATTEST_CERTIFY. */
  certify?: { name: Uint8Array; qualifiedName: Uint8Array };
  /** TPMS_QUOTE_INFO when type is TPM_ST_ATTEST_QUOTE. */
  quote?: { selection: PcrSelection[]; pcrDigest: Uint8Array };
}

/** Part 2 §10.12.12 TPMS_ATTEST. Pure; rejects trailing bytes and unknown attestation types. */
export function parseAttest(bytes: Uint8Array): Attest {
  const r = new TpmReader(bytes, 'TPMS_ATTEST');
  const a: Attest = {
    magic: r.u32(),
    type: r.u16(),
    qualifiedSigner: r.tpm2b(),
    extraData: r.tpm2b(),
    clock: r.u64(),
    resetCount: r.u32(),
    restartCount: r.u32(),
    safe: r.u8() !== 0,
    firmwareVersion: r.u64(),
  };
  if (a.magic !== TPM_GENERATED_VALUE) throw new TpmError('TPM_ATTEST_INVALID', `TPMS_ATTEST magic 0x${a.magic.toString(16)} is not TPM_GENERATED_VALUE`);
  if (a.type === ST.ATTEST_CERTIFY) a.certify = { name: r.tpm2b(), qualifiedName: r.tpm2b() };
  else if (a.type === ST.ATTEST_QUOTE) a.quote = { selection: readPcrSelection(r), pcrDigest: r.tpm2b() };
  else throw new TpmError('TPM_ATTEST_INVALID', `unsupported TPMS_ATTEST type 0x${a.type.toString(16)}`);
  r.end();
  return a;
}

export interface Attestation {
  /** The marshalled TPMS_ATTEST (the signed bytes). */
  attest: Uint8Array;
  signature: EcdsaSignature;
}

/**
 * Part 3 §18.2 TPM2_Certify: the AK (restricted) signs the certified object's name,
 * proving the object is loaded in this TPM. Object auth in the ADMIN role (a password is
 * accepted because adminWithPolicy is clear), AK auth in the USER role. Scheme null: the
 * AK's own ECDSA-SHA256.
 */
export async function certify(
  tpm: TpmClient,
  object: { handle: number; name: Uint8Array },
  ak: { handle: number; name: Uint8Array },
  qualifyingData: Uint8Array,
  auths: { object: Authorization; ak: Authorization },
): Promise<Attestation> {
  // qualifyingData is the first parameter: a decrypting session hides it on the bus.
  const params = new TpmWriter().tpm2b(qualifyingData).u16(ALG.NULL).finish();
  const { params: r } = await tpm.execute(
    { cc: CC.Certify, handles: [object.handle, ak.handle], names: [object.name, ak.name], auths: [auths.object, auths.ak], params },
    { idempotent: true },
  );
  return { attest: r.tpm2b(), signature: readEcdsaSignature(r) };
}

/** Part 3 §18.4 TPM2_Quote: the AK signs a digest of the selected SHA-256 PCRs and the nonce. */
export async function quote(tpm: TpmClient, ak: { handle: number; name: Uint8Array }, nonce: Uint8Array, pcrs: number[], akAuth: Authorization): Promise<Attestation> {
  const w = new TpmWriter().tpm2b(nonce).u16(ALG.NULL);
  writePcrSelection(w, [{ hashAlg: ALG.SHA256, pcrs }]);
  const { params: r } = await tpm.execute({ cc: CC.Quote, handles: [ak.handle], names: [ak.name], auths: [akAuth], params: w.finish() }, { idempotent: true });
  return { attest: r.tpm2b(), signature: readEcdsaSignature(r) };
}

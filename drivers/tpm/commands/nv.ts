/** NV counter commands (TPM 2.0 Part 3 §31.3, §31.4, §31.6, §31.8, §31.13; Part 2 §13.5 TPMS_NV_PUBLIC). */
import type { TpmClient } from '../client.ts';
import { ALG, CC, NT_MASK, RH, TPMA_NV } from '../constants.ts';
import { TpmReader, TpmWriter } from '../marshal.ts';
import { TpmError } from '../tpm-error.ts';
import type { Authorization } from '../session.ts';
import { permanentName } from './object.ts';
import { objectName } from '../public-area.ts';

/**
 * AUTHWRITE | TPM_NT_COUNTER | AUTHREAD | NO_DA (0x02040014): read and raised with the index's
 * own authValue. NO_DA: the authValue is 32 random bytes (no guessing), and dictionary-attack
 * lockout would let anyone who can reach the TPM lock the agent out with wrong guesses.
 */
export const COUNTER_ATTRIBUTES = TPMA_NV.AUTHWRITE | TPMA_NV.NT_COUNTER | TPMA_NV.AUTHREAD | TPMA_NV.NO_DA;
/** Part 2 §13.2 TPM_NT_COUNTER in bits 7:4 of TPMA_NV. */
export const NT_COUNTER = 0x1;

export interface NvPublic {
  nvIndex: number;
  nameAlg: number;
  attributes: number;
  authPolicy: Uint8Array;
  dataSize: number;
}

export function isCounter(p: NvPublic): boolean {
  return ((p.attributes & NT_MASK) >>> 4) === NT_COUNTER;
}

export function assertNvIndex(index: number): void {
  if (!Number.isInteger(index) || index >>> 24 !== 0x01) {
    throw new TpmError('TPM_CONFIG', `NV index 0x${index.toString(16)} is not an NV handle (0x01xxxxxx)`, { field: 'nvIndex' });
  }
}

/**
 * Part 3 §31.3 TPM2_NV_DefineSpace under the owner hierarchy. `indexAuth` is the first
 * parameter: with an owner HMAC session that decrypts, it crosses the bus encrypted.
 */
export async function nvDefineCounter(tpm: TpmClient, ownerAuth: Authorization, nvIndex: number, indexAuth: Uint8Array = new Uint8Array(0)): Promise<void> {
  assertNvIndex(nvIndex);
  const w = new TpmWriter();
  w.tpm2b(indexAuth);
  w.sized((p) => p.u32(nvIndex).u16(ALG.SHA256).u32(COUNTER_ATTRIBUTES).tpm2b(new Uint8Array(0)).u16(8));
  await tpm.execute({ cc: CC.NV_DefineSpace, handles: [RH.OWNER], names: [permanentName(RH.OWNER)], auths: [ownerAuth], params: w.finish() }, { idempotent: false });
}

/** Part 1 §16: an NV index's Name is nameAlg || H(TPMS_NV_PUBLIC); it changes when TPMA_NV_WRITTEN becomes set. */
export function nvName(p: NvPublic): Uint8Array {
  return objectName(new TpmWriter().u32(p.nvIndex).u16(p.nameAlg).u32(p.attributes).tpm2b(p.authPolicy).u16(p.dataSize).finish());
}

/** Part 3 §31.4 TPM2_NV_UndefineSpace. Counters keep their high-water mark across redefinition. */
export async function nvUndefine(tpm: TpmClient, ownerAuth: Authorization, nvIndex: number, indexName?: Uint8Array): Promise<void> {
  const names = indexName ? { names: [permanentName(RH.OWNER), indexName] } : {};
  await tpm.execute({ cc: CC.NV_UndefineSpace, handles: [RH.OWNER, nvIndex], ...names, auths: [ownerAuth] }, { idempotent: false });
}

/** Part 3 §31.6 TPM2_NV_ReadPublic. */
export async function nvReadPublic(tpm: TpmClient, nvIndex: number): Promise<NvPublic> {
  const { params } = await tpm.execute({ cc: CC.NV_ReadPublic, handles: [nvIndex] }, { idempotent: true });
  const r = new TpmReader(params.tpm2b(), 'TPM2B_NV_PUBLIC');
  const p: NvPublic = { nvIndex: r.u32(), nameAlg: r.u16(), attributes: r.u32(), authPolicy: r.tpm2b(), dataSize: r.u16() };
  r.end();
  return p;
}

/** Part 3 §31.8 TPM2_NV_Increment, authorised by the index itself. Not idempotent: never retried once sent. */
export async function nvIncrement(tpm: TpmClient, nvIndex: number, indexAuth: Authorization = new Uint8Array(0), name?: Uint8Array): Promise<void> {
  await tpm.execute({ cc: CC.NV_Increment, handles: [nvIndex, nvIndex], ...(name ? { names: [name, name] } : {}), auths: [indexAuth] }, { idempotent: false });
}

/** Part 3 §31.13 TPM2_NV_Read of `size` bytes at `offset`, authorised by the index itself. */
export async function nvRead(tpm: TpmClient, nvIndex: number, size: number, offset = 0, indexAuth: Authorization = new Uint8Array(0), name?: Uint8Array): Promise<Uint8Array> {
  const params = new TpmWriter().u16(size).u16(offset).finish();
  const { params: r } = await tpm.execute({ cc: CC.NV_Read, handles: [nvIndex, nvIndex], ...(name ? { names: [name, name] } : {}), auths: [indexAuth], params }, { idempotent: true });
  return r.tpm2b();
}

/** A counter index's 8 bytes as an unsigned big-endian integer (Part 2 §13.2: counters are UINT64). */
export async function nvReadCounter(tpm: TpmClient, nvIndex: number, indexAuth: Authorization = new Uint8Array(0), name?: Uint8Array): Promise<bigint> {
  const b = await nvRead(tpm, nvIndex, 8, 0, indexAuth, name);
  return new TpmReader(b, 'NV counter').u64();
}

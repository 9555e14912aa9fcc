/** CreatePrimary, ReadPublic, EvictControl (TPM 2.0 Part 3 §24.1, §12.4, §28.5). */
import type { TpmClient } from '../client.ts';
import { CC, PERSISTENT_OWNER_FIRST, PERSISTENT_OWNER_LAST, RH } from '../constants.ts';
import { TpmWriter } from '../marshal.ts';
import { marshalEccPublic, readTpm2bEccPublic, type EccPublic } from '../public-area.ts';
import type { Authorization } from '../session.ts';
import { TpmError } from '../tpm-error.ts';

export interface LoadedPublic {
  pub: EccPublic;
  /** The exact marshalled TPMT_PUBLIC the TPM returned. */
  publicArea: Uint8Array;
  name: Uint8Array;
}

/**
 * Part 3 §24.1 TPM2_CreatePrimary under `hierarchy` (default owner). Returns the transient
 * handle: the caller flushes it in `finally`.
 */
export async function createPrimary(
  tpm: TpmClient,
  template: EccPublic,
  hierarchyAuth: Authorization,
  hierarchy: number = RH.OWNER,
): Promise<{ handle: number; pub: EccPublic; publicArea: Uint8Array }> {
  const w = new TpmWriter();
  // TPM2B_SENSITIVE_CREATE: userAuth empty, data empty.
  w.sized((s) => s.tpm2b(new Uint8Array(0)).tpm2b(new Uint8Array(0)));
  w.tpm2b(marshalEccPublic(template));
  w.tpm2b(new Uint8Array(0)); // outsideInfo
  w.u32(0); // creationPCR: empty TPML_PCR_SELECTION
  const { handles, params } = await tpm.execute(
    { cc: CC.CreatePrimary, handles: [hierarchy], names: [permanentName(hierarchy)], auths: [hierarchyAuth], params: w.finish() },
    { idempotent: false, responseHandles: 1 },
  );
  const { pub, bytes } = readTpm2bEccPublic(params);
  return { handle: handles[0]!, pub, publicArea: bytes };
}

/** Part 3 §12.4 TPM2_ReadPublic: no authorisation needed. */
export async function readPublic(tpm: TpmClient, handle: number): Promise<LoadedPublic> {
  const { params } = await tpm.execute({ cc: CC.ReadPublic, handles: [handle] }, { idempotent: true });
  const { pub, bytes } = readTpm2bEccPublic(params);
  const name = params.tpm2b();
  params.tpm2b(); // qualifiedName
  return { pub, publicArea: bytes, name };
}

/**
 * Part 3 §28.5 TPM2_EvictControl: with a transient object, makes a persistent copy at
 * `persistentHandle`; with the persistent handle itself, removes it.
 */
export async function evictControl(tpm: TpmClient, ownerAuth: Authorization, objectHandle: number, persistentHandle: number, objectName?: Uint8Array): Promise<void> {
  assertPersistentHandle(persistentHandle);
  const names = objectName ? [permanentName(RH.OWNER), objectName] : undefined;
  await tpm.execute(
    { cc: CC.EvictControl, handles: [RH.OWNER, objectHandle], ...(names ? { names } : {}), auths: [ownerAuth], params: new TpmWriter().u32(persistentHandle).finish() },
    { idempotent: false },
  );
}

export function assertPersistentHandle(h: number): void {
  if (!Number.isInteger(h) || h < PERSISTENT_OWNER_FIRST || h > PERSISTENT_OWNER_LAST) {
    throw new TpmError('TPM_CONFIG', `persistent handle 0x${h.toString(16)} is outside the owner range 0x81000000-0x817FFFFF`, { field: 'handle' });
  }
}

/** Part 1 §16: the Name of a permanent handle (a hierarchy) is the handle itself. */
export function permanentName(handle: number): Uint8Array {
  return new TpmWriter().u32(handle).finish();
}

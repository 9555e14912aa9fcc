/** TPM2_Create and TPM2_Load of ordinary (non-primary) keys (TPM 2.0 Part 3 §12.1, §12.2). */
import type { TpmClient } from '../client.ts';
import { CC } from '../constants.ts';
import { TpmReader, TpmWriter } from '../marshal.ts';
import { marshalEccPublic, objectName, readTpm2bEccPublic, type EccPublic } from '../public-area.ts';
import type { Authorization } from '../session.ts';

/** A key as TPM2_Create returns it: the public area and the private blob, encrypted under its parent. */
export interface KeyBlobs {
  /** TPMT_PUBLIC, marshalled (the contents of TPM2B_PUBLIC). */
  publicArea: Uint8Array;
  /** The contents of TPM2B_PRIVATE: only the parent that made it can load it (Part 1 "Protected Storage"). */
  privateBlob: Uint8Array;
}

/**
 * Part 3 §12.1 TPM2_Create under `parent` with `userAuth` as the new key's authValue. The
 * authValue is in the first parameter (TPM2B_SENSITIVE_CREATE), so the parent's session should
 * decrypt: the secret then never crosses the bus in clear.
 */
export async function createKey(
  tpm: TpmClient,
  parent: { handle: number; name: Uint8Array },
  parentAuth: Authorization,
  template: EccPublic,
  userAuth: Uint8Array,
): Promise<KeyBlobs & { pub: EccPublic }> {
  const w = new TpmWriter();
  // TPM2B_SENSITIVE_CREATE { userAuth, data (empty: the TPM generates the key) }.
  w.sized((s) => s.tpm2b(userAuth).tpm2b(new Uint8Array(0)));
  w.tpm2b(marshalEccPublic(template));
  w.tpm2b(new Uint8Array(0)); // outsideInfo
  w.u32(0); // creationPCR: none
  const { params: r } = await tpm.execute(
    { cc: CC.Create, handles: [parent.handle], names: [parent.name], auths: [parentAuth], params: w.finish() },
    { idempotent: false },
  );
  const privateBlob = r.tpm2b();
  const { pub, bytes } = readTpm2bEccPublic(r);
  return { publicArea: bytes, privateBlob, pub };
}

/** Part 3 §12.2 TPM2_Load: a transient handle the caller flushes; the Name the TPM computed is checked against ours. */
export async function loadKey(tpm: TpmClient, parent: { handle: number; name: Uint8Array }, parentAuth: Authorization, blobs: KeyBlobs): Promise<{ handle: number; name: Uint8Array }> {
  const params = new TpmWriter().tpm2b(blobs.privateBlob).tpm2b(blobs.publicArea).finish();
  const { handles, params: r } = await tpm.execute(
    { cc: CC.Load, handles: [parent.handle], names: [parent.name], auths: [parentAuth], params },
    { idempotent: false, responseHandles: 1 },
  );
  const name = r.tpm2b();
  return { handle: handles[0]!, name };
}

/** Reads a TPMT_PUBLIC blob back into its fields, checking nothing trails it. */
export function parsePublicArea(publicArea: Uint8Array): { pub: EccPublic; name: Uint8Array } {
  const w = new TpmWriter().tpm2b(publicArea).finish();
  const { pub } = readTpm2bEccPublic(new TpmReader(w, 'TPM2B_PUBLIC'));
  return { pub, name: objectName(publicArea) };
}

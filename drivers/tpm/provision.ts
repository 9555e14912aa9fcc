/**
 * Idempotent provisioning on a TPM: a primary ECC key persisted at a handle, an NV counter
 * index, and the once-per-connection preparation (Startup, flushing leftover transient
 * objects). Transient handles are flushed in `finally`: swtpm has three object slots and no
 * resource manager.
 */
import type { Logger } from '../../core/log.ts';
import type { TpmClient } from './client.ts';
import { TRANSIENT_FIRST } from './constants.ts';
import { flushContext, flushTransientLeftovers, getHandles, startup } from './commands/context.ts';
import { assertPersistentHandle, createPrimary, evictControl, readPublic, type LoadedPublic } from './commands/object.ts';
import { assertNvIndex, isCounter, nvDefineCounter, nvReadPublic, type NvPublic } from './commands/nv.ts';
import { eccTemplate, matchesTemplate } from './public-area.ts';
import { RC, rcBase } from './response-code.ts';
import { TpmError } from './tpm-error.ts';

const prepared = new WeakMap<TpmClient, Promise<number[]>>();

/** Startup (if needed) and flushing of leftover transient objects, once per client. Returns the flushed handles. */
export function prepareTpm(tpm: TpmClient, logger?: Logger): Promise<number[]> {
  let p = prepared.get(tpm);
  if (!p) {
    p = (async () => {
      await startup(tpm);
      const leftovers = await flushTransientLeftovers(tpm);
      if (leftovers.length) logger?.warn('flushed leftover transient objects', { handles: leftovers.map((h) => '0x' + h.toString(16)) });
      return leftovers;
    })();
    p.catch(() => prepared.delete(tpm));
    prepared.set(tpm, p);
  }
  return p;
}

function isMissingHandle(e: unknown): boolean {
  return e instanceof TpmError && e.rc !== undefined && rcBase(e.rc) === RC.HANDLE;
}

/**
 * The P-256 key with `objectAttributes` at `handle`: read if present (and checked to be the
 * shape we create), else created as a primary under the owner hierarchy and persisted.
 */
export async function ensurePersistentKey(
  tpm: TpmClient,
  handle: number,
  objectAttributes: number,
  ownerAuth: Uint8Array,
  logger?: Logger,
): Promise<{ key: LoadedPublic; created: boolean }> {
  assertPersistentHandle(handle);
  try {
    const key = await readPublic(tpm, handle);
    if (!matchesTemplate(key.pub, objectAttributes)) {
      throw new TpmError(
        'TPM_KEY_MISMATCH',
        `persistent handle 0x${handle.toString(16)} holds a key with attributes 0x${key.pub.objectAttributes.toString(16)}, not the P-256 ECDSA-SHA256 key expected (0x${objectAttributes.toString(16)})`,
        { handle },
      );
    }
    return { key, created: false };
  } catch (e) {
    if (!isMissingHandle(e)) throw e;
  }
  logger?.info('creating and persisting TPM key', { handle: '0x' + handle.toString(16) });
  const primary = await createTransientWithRecovery(tpm, objectAttributes, ownerAuth, logger);
  try {
    await evictControl(tpm, ownerAuth, primary, handle);
  } finally {
    await flushContext(tpm, primary);
  }
  return { key: await readPublic(tpm, handle), created: true };
}

async function createTransientWithRecovery(tpm: TpmClient, objectAttributes: number, ownerAuth: Uint8Array, logger?: Logger): Promise<number> {
  try {
    return (await createPrimary(tpm, eccTemplate(objectAttributes), ownerAuth)).handle;
  } catch (e) {
    // Slots filled by someone else since we prepared (tools without a resource manager).
    if (!(e instanceof TpmError && e.rc === RC.OBJECT_MEMORY)) throw e;
    const leftovers = await getHandles(tpm, TRANSIENT_FIRST);
    logger?.warn('TPM object memory full; flushing transient objects and retrying', { count: leftovers.length });
    for (const h of leftovers) await flushContext(tpm, h);
    return (await createPrimary(tpm, eccTemplate(objectAttributes), ownerAuth)).handle;
  }
}

/** Removes the persistent key at `handle` (EvictControl on the persistent handle). */
export async function removePersistentKey(tpm: TpmClient, handle: number, ownerAuth: Uint8Array): Promise<void> {
  await evictControl(tpm, ownerAuth, handle, handle);
}

/** The NV counter at `nvIndex`, defined when absent; an index of another type is an error, never redefined. */
export async function ensureCounter(tpm: TpmClient, nvIndex: number, ownerAuth: Uint8Array, logger?: Logger): Promise<{ nv: NvPublic; created: boolean }> {
  assertNvIndex(nvIndex);
  let created = false;
  let nv: NvPublic;
  try {
    nv = await nvReadPublic(tpm, nvIndex);
  } catch (e) {
    if (!isMissingHandle(e)) throw e;
    logger?.info('defining TPM NV counter', { nvIndex: '0x' + nvIndex.toString(16) });
    await nvDefineCounter(tpm, ownerAuth, nvIndex);
    nv = await nvReadPublic(tpm, nvIndex);
    created = true;
  }
  if (!isCounter(nv) || nv.dataSize !== 8) {
    throw new TpmError('TPM_NV_MISMATCH', `NV index 0x${nvIndex.toString(16)} exists but is not an 8-byte counter (attributes 0x${nv.attributes.toString(16)})`, { nvIndex });
  }
  return { nv, created };
}

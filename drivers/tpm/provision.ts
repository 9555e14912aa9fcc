/**
 * Provisioning helpers on a TPM: the once-per-connection preparation (Startup, flushing
 * leftover transient objects and sessions) and the storage root key, made once under the
 * owner hierarchy and persisted. Transient handles are flushed in `finally`: swtpm has three
 * object slots and no resource manager.
 */
import type { Logger } from '../../core/log.ts';
import type { TpmClient } from './client.ts';
import { flushContext, flushSessionLeftovers, flushTransientLeftovers, startup } from './commands/context.ts';
import { assertPersistentHandle, createPrimary, evictControl, readPublic, type LoadedPublic } from './commands/object.ts';
import { marshalEccPublic, objectName, storageRootTemplate, type EccPublic } from './public-area.ts';
import { SE, startSession, type AuthSession } from './session.ts';
import { createEk, EK_CERT_NV_INDEX, ekMatchesCertificate, ekPoint, readEkCertificate } from './ek.ts';
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
      const sessions = await flushSessionLeftovers(tpm);
      if (sessions.length) logger?.warn('flushed leftover sessions', { handles: sessions.map((h) => '0x' + h.toString(16)) });
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

/** TCG Handle Registry / Provisioning Guidance: the storage root key's persistent handle. */
export const DEFAULT_SRK_HANDLE = 0x81000001;

export interface StorageRoot {
  handle: number;
  pub: EccPublic;
  name: Uint8Array;
}

/**
 * The storage root key at its persistent handle, checked against the Name recorded when the
 * keys were made: a key someone else put there would otherwise receive our session salts.
 */
export async function readStorageRoot(tpm: TpmClient, handle: number, expectedName?: Uint8Array): Promise<StorageRoot> {
  let k: LoadedPublic;
  try {
    k = await readPublic(tpm, handle);
  } catch (e) {
    if (isMissingHandle(e)) throw new TpmError('TPM_NOT_PROVISIONED', `no storage root key at 0x${handle.toString(16)}: run keys init --tpm`, { handle }, { cause: e });
    throw e;
  }
  const name = objectName(k.publicArea);
  if (expectedName && !Buffer.from(name).equals(Buffer.from(expectedName))) {
    throw new TpmError('TPM_KEY_MISMATCH', `the storage root key at 0x${handle.toString(16)} is not the one our keys were made under (another TPM, or it was replaced)`, { handle });
  }
  if (!Buffer.from(marshalEccPublic(storageRootTemplateWith(k.pub))).equals(Buffer.from(k.publicArea))) {
    throw new TpmError('TPM_KEY_MISMATCH', `the key at 0x${handle.toString(16)} is not a storage root key of our template`, { handle });
  }
  return { handle, pub: k.pub, name };
}

function storageRootTemplateWith(pub: EccPublic): EccPublic {
  return { ...storageRootTemplate(), x: pub.x, y: pub.y };
}

/**
 * Makes the storage root key if absent: CreatePrimary under the owner hierarchy in an HMAC
 * session salted with the ECC P-256 endorsement key (no storage key exists yet; the EK is
 * re-derived from the endorsement seed, template L-2), then EvictControl in a session salted
 * with the new key itself. Salted, the session key is unknown to whoever watches the bus, so the
 * HMAC over the owner auth gives no offline guess at it (an unsalted session's HMAC is keyed by
 * the owner auth alone), and the response, with the new key's public area, is authenticated by
 * the response HMAC. The EK's point must be that of its certificate in NV when the TPM has one;
 * without one the salt key is unauthenticated (said in the log), which still defeats a passive
 * observer.
 */
export async function ensureStorageRoot(tpm: TpmClient, handle: number, ownerAuth: Uint8Array, logger?: Logger): Promise<StorageRoot & { created: boolean }> {
  assertPersistentHandle(handle);
  try {
    return { ...(await readStorageRoot(tpm, handle)), created: false };
  } catch (e) {
    if (!(e instanceof TpmError && e.code === 'TPM_NOT_PROVISIONED')) throw e;
  }
  logger?.info('creating the storage root key', { handle: '0x' + handle.toString(16) });
  const byEk = await endorsementSaltedSession(tpm, logger);
  try {
    const primary = await createPrimary(tpm, storageRootTemplate(), { session: byEk, authValue: ownerAuth });
    try {
      const salted = await startSession(tpm, SE.HMAC, { handle: primary.handle, pub: primary.pub });
      try {
        await evictControl(tpm, { session: salted, authValue: ownerAuth }, primary.handle, handle, objectName(primary.publicArea));
      } finally {
        await flushContext(tpm, salted.handle).catch(() => {});
      }
    } finally {
      await flushContext(tpm, primary.handle);
    }
  } finally {
    await flushContext(tpm, byEk.handle).catch(() => {});
  }
  return { ...(await readStorageRoot(tpm, handle)), created: true };
}

/** An HMAC session salted with the ECC P-256 EK (checked against its certificate when there is one); the EK is flushed once the session exists. */
export async function endorsementSaltedSession(tpm: TpmClient, logger?: Logger): Promise<AuthSession> {
  const ek = await createEk(tpm, 'ecc');
  try {
    const pub = ekPoint(ek.publicArea);
    let der: Uint8Array | undefined;
    try {
      der = await readEkCertificate(tpm, EK_CERT_NV_INDEX.ecc);
    } catch (e) {
      if (!(e instanceof TpmError && e.code === 'TPM_NO_EK_CERT')) throw e;
      logger?.warn('this TPM has no ECC EK certificate: the session salt key is not authenticated by a manufacturer', {});
    }
    if (der && !ekMatchesCertificate(pub, der)) {
      throw new TpmError('TPM_KEY_MISMATCH', 'the ECC endorsement key the TPM answered with is not the key of its certificate in NV', {});
    }
    return await startSession(tpm, SE.HMAC, { handle: ek.handle, pub });
  } finally {
    await flushContext(tpm, ek.handle).catch(() => {});
  }
}

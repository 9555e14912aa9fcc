/**
 * `keys init --tpm` and `keys show --tpm`: provisioning of a TPM-backed gateway.
 *
 * init (the only step that needs the owner hierarchy's auth, read from a mode-checked file):
 * the storage root key (SRK, persistent, default 0x81000001) if absent; the signing key and
 * the attestation key (AK) as ordinary keys under it (TPM2_Create), each with its own random
 * authValue; the NV epoch counter (default 0x01500101) with its own authValue. The authValues
 * go to the root-only `tpm-auth` file, the key blobs to `tpm-key.json` (tpm-key-files.ts).
 * Every command that carries a secret runs in a salted HMAC session with parameter
 * encryption. A second init with both files present changes nothing.
 */
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { createKey } from '../../drivers/tpm/commands/keys.ts';
import { nvDefineCounter, nvName, nvReadPublic, nvUndefine, type NvPublic } from '../../drivers/tpm/commands/nv.ts';
import { DEFAULT_SRK_HANDLE, ensureStorageRoot, prepareTpm, readStorageRoot, type StorageRoot } from '../../drivers/tpm/provision.ts';
import { ATTESTATION_KEY_ATTRIBUTES, eccTemplate, sec1FromXY, SIGNING_KEY_ATTRIBUTES } from '../../drivers/tpm/public-area.ts';
import { rcBase, RC } from '../../drivers/tpm/response-code.ts';
import { newAuthValue } from '../../drivers/tpm/session.ts';
import { SessionKeeper } from '../../drivers/tpm/session-keeper.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from './errors.ts';
import { parsePublicArea } from '../../drivers/tpm/commands/keys.ts';
import { coseKeyThumbprint } from '../encoding/cose-key.ts';
import { DEFAULT_EPOCH_NV_INDEX, NvCounterAccess } from './tpm-epoch.ts';
import {
  readAuthSecrets,
  readKeyFile,
  readOwnerAuthFile,
  tpmKeyPaths,
  writeAuthSecrets,
  writeKeyFile,
  type TpmAuthSecrets,
  type TpmKeyFile,
} from './tpm-key-files.ts';
import { existsSync } from 'node:fs';

export interface TpmKeysConfig {
  tcti: string;
  /** Where tpm-key.json and tpm-auth live. */
  stateDir: string;
  /** Owner hierarchy auth, only for init: a file readable by root alone. Absent means the empty auth. */
  ownerAuthFile?: string;
  srkHandle?: number;
  nvIndex?: number;
  logger?: Logger;
  timeoutMs?: number;
}

export interface TpmKeysInfo {
  srkHandle: number;
  /** Uncompressed SEC1, 65 bytes. */
  publicKey: Uint8Array;
  /** RFC 9679 COSE_Key thumbprint of the signing key (the `kid` of our COSE_Sign1). */
  kid: Uint8Array;
  nvIndex: number;
  counter: bigint;
  akPublicKey: Uint8Array;
}

export interface TpmKeysInitResult extends TpmKeysInfo {
  created: { srk: boolean; key: boolean; counter: boolean; ak: boolean };
}

export async function withTpm<T>(cfg: { tcti: string; logger?: Logger; timeoutMs?: number }, fn: (tpm: TpmClient, log: Logger) => Promise<T>): Promise<T> {
  const log = (cfg.logger ?? silentLogger).child('tpm-keys');
  const lease = acquireTpmClient(cfg.tcti, { logger: log, timeoutMs: cfg.timeoutMs });
  try {
    await prepareTpm(lease.client, log);
    return await fn(lease.client, log);
  } finally {
    await lease.release();
  }
}

const isAuthFailure = (e: unknown) => e instanceof TpmError && e.rc !== undefined && (rcBase(e.rc) === RC.BAD_AUTH || rcBase(e.rc) === RC.AUTH_FAIL);
const isMissing = (e: unknown) => e instanceof TpmError && e.rc !== undefined && rcBase(e.rc) === RC.HANDLE;

/** The secrets and blobs already on disk, if both files are there and were made under this SRK. */
function existing(stateDir: string, srk: StorageRoot): { file: ReturnType<typeof readKeyFile>; auth: TpmAuthSecrets } | undefined {
  const { keyFile, authFile } = tpmKeyPaths(stateDir);
  if (!existsSync(keyFile) || !existsSync(authFile)) return undefined;
  const file = readKeyFile(keyFile);
  const auth = readAuthSecrets(authFile);
  if (file.srk.handle !== srk.handle || !Buffer.from(file.srkName).equals(Buffer.from(srk.name))) return undefined;
  return { file, auth };
}

export async function tpmKeysInit(cfg: TpmKeysConfig): Promise<TpmKeysInitResult> {
  const ownerAuth = cfg.ownerAuthFile ? readOwnerAuthFile(cfg.ownerAuthFile) : new Uint8Array(0);
  const srkHandle = cfg.srkHandle ?? DEFAULT_SRK_HANDLE;
  const nvIndex = cfg.nvIndex ?? DEFAULT_EPOCH_NV_INDEX;
  return withTpm(cfg, async (tpm, log) => {
    const srk = await ensureStorageRoot(tpm, srkHandle, ownerAuth, log);
    const keeper = new SessionKeeper(tpm, srk);
    try {
      const had = existing(cfg.stateDir, srk);
      const auth = had?.auth ?? { signingKey: newAuthValue(), counter: newAuthValue(), ak: newAuthValue() };
      const parent = { handle: srk.handle, name: srk.name };
      const make = async (attrs: number, userAuth: Uint8Array) => {
        // The new key's authValue is the first parameter: the session decrypts it, so it is never on the bus in clear.
        const k = await keeper.run((s) => createKey(tpm, parent, { session: s, authValue: new Uint8Array(0), decrypt: true }, eccTemplate(attrs), userAuth));
        return { public: Buffer.from(k.publicArea).toString('hex'), private: Buffer.from(k.privateBlob).toString('hex') };
      };
      const signingKey = had ? had.file.signingKey : await make(SIGNING_KEY_ATTRIBUTES, auth.signingKey);
      const ak = had?.file.ak ?? (await make(ATTESTATION_KEY_ATTRIBUTES, auth.ak));
      const counterCreated = await ensureCounter(tpm, keeper, nvIndex, auth.counter, ownerAuth, log, had?.file.nvIndex === nvIndex);
      const { keyFile, authFile } = tpmKeyPaths(cfg.stateDir);
      const record: TpmKeyFile = { version: 1, srk: { handle: srk.handle, name: Buffer.from(srk.name).toString('hex') }, signingKey, ak, nvIndex };
      writeAuthSecrets(authFile, auth);
      writeKeyFile(keyFile, record);
      const info = await describe(tpm, cfg.stateDir, srk, keeper);
      return { ...info, created: { srk: srk.created, key: !had, counter: counterCreated, ak: !had?.file.ak } };
    } finally {
      await keeper.close();
    }
  });
}

/**
 * The counter at `nvIndex` answering to `counterAuth`: defined when absent (the index auth is
 * the first parameter of NV_DefineSpace, encrypted by the owner's salted session). One that
 * exists but refuses our auth (made before index auths, or by someone else) is undefined and
 * defined again: Part 1 says a new counter starts at the highest count any counter had, so the
 * epoch never goes back.
 */
async function ensureCounter(tpm: TpmClient, keeper: SessionKeeper, nvIndex: number, counterAuth: Uint8Array, ownerAuth: Uint8Array, log: Logger, ours: boolean): Promise<boolean> {
  let nv: NvPublic | undefined;
  try {
    nv = await nvReadPublic(tpm, nvIndex);
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  if (nv) {
    const access = new NvCounterAccess(tpm, nv, counterAuth, keeper);
    try {
      await access.read();
      return false;
    } catch (e) {
      if (!isAuthFailure(e)) throw e;
    }
    log.warn('NV counter exists but does not answer to our auth; defining it again (its count cannot go down)', { nvIndex: '0x' + nvIndex.toString(16), ours });
    await keeper.run((s) => nvUndefine(tpm, { session: s, authValue: ownerAuth }, nvIndex, nvName(nv!)));
  }
  await keeper.run((s) => nvDefineCounter(tpm, { session: s, authValue: ownerAuth, decrypt: true }, nvIndex, counterAuth));
  return true;
}

async function describe(tpm: TpmClient, stateDir: string, srk: StorageRoot, keeper: SessionKeeper): Promise<TpmKeysInfo> {
  const { keyFile, authFile } = tpmKeyPaths(stateDir);
  const file = readKeyFile(keyFile);
  const auth = readAuthSecrets(authFile);
  const key = parsePublicArea(file.blobs.signingKey.publicArea).pub;
  const publicKey = sec1FromXY(key.x, key.y);
  const akPub = file.blobs.ak ? parsePublicArea(file.blobs.ak.publicArea).pub : undefined;
  let counter = 0n;
  try {
    counter = await new NvCounterAccess(tpm, await nvReadPublic(tpm, file.nvIndex), auth.counter, keeper).read();
  } catch (e) {
    if (isMissing(e)) throw new TpmError<SigningErrorCode>('TPM_NOT_PROVISIONED', `no NV counter at 0x${file.nvIndex.toString(16)}: run keys init --tpm`, { nvIndex: file.nvIndex }, { cause: e });
    throw e;
  }
  return {
    srkHandle: srk.handle,
    publicKey,
    kid: coseKeyThumbprint(publicKey),
    nvIndex: file.nvIndex,
    counter,
    akPublicKey: akPub ? sec1FromXY(akPub.x, akPub.y) : new Uint8Array(0),
  };
}

/** Reads what `tpmKeysInit` made, changing nothing. Needs the auth file (the counter answers to it) but not the owner auth. */
export async function tpmKeysShow(cfg: TpmKeysConfig): Promise<TpmKeysInfo> {
  return withTpm(cfg, async (tpm) => {
    const file = readKeyFile(tpmKeyPaths(cfg.stateDir).keyFile);
    const srk = await readStorageRoot(tpm, file.srk.handle, file.srkName);
    const keeper = new SessionKeeper(tpm, srk);
    try {
      return await describe(tpm, cfg.stateDir, srk, keeper);
    } finally {
      await keeper.close();
    }
  });
}

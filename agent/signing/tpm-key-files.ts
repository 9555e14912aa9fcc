/**
 * What `keys init --tpm` leaves in the state directory, and how secrets are read:
 *
 * - `tpm-key.json` (mode 0600, not secret): the storage root key's persistent handle and Name,
 *   the signing key's and the AK's public areas and private blobs (TPM2B_PRIVATE, encrypted by
 *   the SRK: useless outside this TPM), the NV counter index.
 * - `tpm-auth` (mode 0600, root-only): the authValues of the signing key, the AK and the NV
 *   counter, 32 random bytes each, hex. Whoever reads it can use the key through the TPM, so
 *   it is refused when group or others can read it or when another user owns it.
 *
 * The owner hierarchy's auth is needed only by `keys init`; it is read from a file with the
 * same checks (`readOwnerAuthFile`) and never taken from the command line or the environment.
 */
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from './errors.ts';

export const TPM_KEY_FILE = 'tpm-key.json';
export const TPM_AUTH_FILE = 'tpm-auth';

export interface TpmKeyBlobsJson {
  /** TPMT_PUBLIC, hex. */
  public: string;
  /** TPM2B_PRIVATE contents, hex. */
  private: string;
}

export interface TpmKeyFile {
  version: 1;
  srk: { handle: number; name: string };
  signingKey: TpmKeyBlobsJson;
  ak?: TpmKeyBlobsJson;
  nvIndex: number;
}

export interface TpmAuthSecrets {
  signingKey: Uint8Array;
  counter: Uint8Array;
  ak: Uint8Array;
}

export function tpmKeyPaths(stateDir: string): { keyFile: string; authFile: string } {
  return { keyFile: join(stateDir, TPM_KEY_FILE), authFile: join(stateDir, TPM_AUTH_FILE) };
}

/**
 * Reads a secret file, refusing a symlink, a file group or others can access, or one owned by
 * another user than us or root: a secret others can read is no longer the device's alone.
 */
export function readSecretFile(path: string, what: string): Buffer {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    throw new TpmError<SigningErrorCode>('TPM_SECRET_MISSING', `no ${what} at ${path}`, { path }, { cause: e });
  }
  if (!st.isFile()) throw new TpmError<SigningErrorCode>('TPM_SECRET_PERMISSIONS', `${what} ${path} is not a regular file`, { path });
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    throw new TpmError<SigningErrorCode>('TPM_SECRET_PERMISSIONS', `${what} ${path} is accessible by group or others (mode ${mode.toString(8)}); run chmod 600 ${path}`, { path, mode: mode.toString(8) });
  }
  const uid = process.geteuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw new TpmError<SigningErrorCode>('TPM_SECRET_PERMISSIONS', `${what} ${path} is owned by uid ${st.uid}, not by us (${uid}) or root`, { path, uid: st.uid });
  }
  return readFileSync(path);
}

/** The owner hierarchy auth: the file's bytes without a trailing newline. An empty file means empty auth. */
export function readOwnerAuthFile(path: string): Uint8Array {
  const b = readSecretFile(path, 'owner auth file');
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return new Uint8Array(b.subarray(0, end));
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

const HEX = /^[0-9a-f]*$/;
const bytesOf = (v: unknown, field: string, path: string): Uint8Array => {
  if (typeof v !== 'string' || !HEX.test(v) || v.length % 2) throw new TpmError<SigningErrorCode>('TPM_KEY_FILE', `${path}: ${field} is not lowercase hex`, { path, field });
  return new Uint8Array(Buffer.from(v, 'hex'));
};

export function writeAuthSecrets(path: string, s: TpmAuthSecrets): void {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  writePrivate(path, JSON.stringify({ signingKey: hex(s.signingKey), counter: hex(s.counter), ak: hex(s.ak) }) + '\n');
}

export function readAuthSecrets(path: string): TpmAuthSecrets {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readSecretFile(path, 'TPM auth file').toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TpmError) throw e;
    throw new TpmError<SigningErrorCode>('TPM_KEY_FILE', `${path} is not JSON`, { path }, { cause: e });
  }
  return { signingKey: bytesOf(o.signingKey, 'signingKey', path), counter: bytesOf(o.counter, 'counter', path), ak: bytesOf(o.ak, 'ak', path) };
}

export function writeKeyFile(path: string, f: TpmKeyFile): void {
  writePrivate(path, JSON.stringify(f, null, 2) + '\n');
}

export function keyFileExists(stateDir: string): boolean {
  return existsSync(tpmKeyPaths(stateDir).keyFile);
}

export function readKeyFile(path: string): TpmKeyFile & { blobs: { signingKey: { publicArea: Uint8Array; privateBlob: Uint8Array }; ak?: { publicArea: Uint8Array; privateBlob: Uint8Array } }; srkName: Uint8Array } {
  let f: TpmKeyFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as TpmKeyFile;
  } catch (e) {
    throw new TpmError<SigningErrorCode>('TPM_NOT_PROVISIONED', `no TPM key file at ${path}: run \`place-agent keys init --tpm TCTI\` first`, { path }, { cause: e });
  }
  if (f.version !== 1 || typeof f.srk?.handle !== 'number' || typeof f.nvIndex !== 'number' || !f.signingKey) {
    throw new TpmError<SigningErrorCode>('TPM_KEY_FILE', `${path} is not a version 1 TPM key file`, { path });
  }
  const blobs = (b: TpmKeyBlobsJson, field: string) => ({ publicArea: bytesOf(b.public, `${field}.public`, path), privateBlob: bytesOf(b.private, `${field}.private`, path) });
  return {
    ...f,
    srkName: bytesOf(f.srk.name, 'srk.name', path),
    blobs: { signingKey: blobs(f.signingKey, 'signingKey'), ...(f.ak ? { ak: blobs(f.ak, 'ak') } : {}) },
  };
}

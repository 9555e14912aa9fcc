/**
 * The software Signer: a P-256 private key in a PKCS#8 PEM file with mode 0600 under the
 * state directory. Signing uses node:crypto (OpenSSL) only, normalises s to low-S as the wire
 * contract requires and verifies each signature before returning it (signing-core.ts);
 * batches go to a SigningPool, which uses worker threads only while the load needs them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, statSync, writeSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CodedError, ErrorCounter } from '../../core/coded-error.ts';
import { signOne } from './signing-core.ts';
import { SigningPool, type SigningPoolOptions } from './signing-pool.ts';
import type { Signer, SignerSelfCheckStats } from '../../core/ports/signer.ts';
import type { SigningErrorCode } from './errors.ts';

export class KeyError extends CodedError<SigningErrorCode> {}

export class SoftwareSigner implements Signer {
  readonly kind = 'software' as const;
  private readonly pub: Uint8Array;
  private readonly publicKeyObject: KeyObject;

  constructor(private readonly key: KeyObject) {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new KeyError('KEY_WRONG_TYPE', 'the key is not a P-256 (prime256v1) EC key');
    }
    this.publicKeyObject = createPublicKey(key);
    const jwk = this.publicKeyObject.export({ format: 'jwk' });
    const pub = new Uint8Array(65);
    pub[0] = 4;
    pub.set(Buffer.from(jwk.x!, 'base64url'), 1);
    pub.set(Buffer.from(jwk.y!, 'base64url'), 33);
    this.pub = pub;
  }

  static generate(): SoftwareSigner {
    return new SoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }

  static fromPem(pem: string): SoftwareSigner {
    return new SoftwareSigner(createPrivateKey(pem));
  }

  async publicKey(): Promise<Uint8Array> {
    return this.pub.slice();
  }

  /** Synchronous signing (node:crypto signs in the calling thread anyway), self-checked. */
  signSync(message: Uint8Array): Uint8Array {
    const out = new Uint8Array(64);
    if (!signOne(this.key, this.publicKeyObject, message, out, true)) {
      throw new KeyError('SIGN_SELF_CHECK_FAILED', 'a signature failed its self-check against the public key');
    }
    return out;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.signSync(message);
  }

  /** Signs a batch in order; large batches are shared among worker threads (signing-pool.ts). */
  signMany(messages: Uint8Array[]): Promise<Uint8Array[]> {
    this.pool ??= new SigningPool(this.key, { ...this.poolOptions, errors: this.poolErrors });
    return this.pool.signMany(messages);
  }

  /** Sets how batches are signed; takes effect for the next pool (before the first signMany). */
  configurePool(o: SigningPoolOptions): void {
    this.poolOptions = o;
  }

  get signingPool(): SigningPool | undefined {
    return this.pool;
  }

  /** The pool's self-check counts, kept across pools (close() ends one; the next batch starts another). */
  selfCheckStats(): SignerSelfCheckStats {
    const p = this.pool?.stats;
    return {
      checked: this.closedPools.checked + (p?.checked ?? 0),
      repaired: this.closedPools.repaired + (p?.repaired ?? 0),
      refusedBatches: this.closedPools.refusedBatches + (p?.refusedBatches ?? 0),
    };
  }

  /** The pools' error counts (SIGN_*): every pool counts into this signer's counter, so they outlive it. */
  errorCounts(): Record<string, number> {
    return this.poolErrors.snapshot();
  }

  pem(): string {
    return this.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  private pool: SigningPool | undefined;
  private poolOptions: SigningPoolOptions = {};
  private closedPools: SignerSelfCheckStats = { checked: 0, repaired: 0, refusedBatches: 0 };
  private readonly poolErrors = new ErrorCounter<SigningErrorCode>();

  async close(): Promise<void> {
    this.closedPools = this.selfCheckStats();
    const p = this.pool;
    this.pool = undefined;
    await p?.close();
  }
}

/** Writes a new key file with mode 0600; refuses to overwrite one that exists. */
export function createKeyFile(path: string): SoftwareSigner {
  if (existsSync(path)) throw new KeyError('KEY_EXISTS', `a key already exists at ${path}; refusing to overwrite it`, { path });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const signer = SoftwareSigner.generate();
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, signer.pem());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return signer;
}

/**
 * Loads the key file, refusing one that group or others can read or write: a signing key that
 * other local users can read is no longer the device's alone.
 */
export function loadKeyFile(path: string): SoftwareSigner {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new KeyError('KEY_MISSING', `no key at ${path}; create one with \`place-agent keys init\``, { path }, { cause: e });
  }
  if (mode & 0o077) {
    throw new KeyError('KEY_PERMISSIONS', `key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`, {
      path,
      mode: (mode & 0o777).toString(8),
    });
  }
  try {
    return SoftwareSigner.fromPem(readFileSync(path, 'utf8'));
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw new KeyError('KEY_UNREADABLE', `key file ${path} is not a PKCS#8 P-256 private key`, { path }, { cause: e });
  }
}

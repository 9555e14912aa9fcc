/**
 * The software Signer: a P-256 private key in a PKCS#8 PEM file with mode 0600 under the
 * state directory. Signing uses node:crypto (measured about 20x faster than @noble/curves on
 * these machines; see test/bench), then normalises s to low-S as the wire contract requires.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, statSync, writeSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { normaliseSignature } from './p256.ts';
import { Presigner } from './presign.ts';
import type { Signer } from './signer.ts';

export class KeyError extends CodedError {}

export class SoftwareSigner implements Signer {
  readonly kind = 'software' as const;
  private readonly pub: Uint8Array;

  constructor(private readonly key: KeyObject) {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new KeyError('KEY_WRONG_TYPE', 'the key is not a P-256 (prime256v1) EC key');
    }
    const jwk = createPublicKey(key).export({ format: 'jwk' });
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

  /** Synchronous signing for the hot path (node:crypto signs in-thread anyway). */
  signSync(message: Uint8Array): Uint8Array {
    const pre = this.presigner?.trySign(message);
    if (pre) return pre;
    const raw = cryptoSign('sha256', message, { key: this.key, dsaEncoding: 'ieee-p1363' });
    return normaliseSignature(raw.subarray(0, 32), raw.subarray(32, 64));
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.signSync(message);
  }

  pem(): string {
    return this.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  private presigner: Presigner | undefined;

  /**
   * Moves the message-independent half of each signature to a worker thread (presign.ts);
   * signSync uses a precomputed nonce when one is ready and node:crypto otherwise.
   */
  startPresigning(opts: { batch?: number; onError?: (e: Error) => void } = {}): Presigner {
    if (this.presigner) return this.presigner;
    const d = Buffer.from(this.key.export({ format: 'jwk' }).d!, 'base64url');
    this.presigner = new Presigner(d, this.key, opts);
    d.fill(0);
    return this.presigner;
  }

  get presigning(): Presigner | undefined {
    return this.presigner;
  }

  async close(): Promise<void> {
    const p = this.presigner;
    this.presigner = undefined;
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

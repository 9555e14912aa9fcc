/**
 * The key derivations and ciphers of TPM 2.0 sessions and credential protection, built on
 * node:crypto (OpenSSL) only: HMAC-SHA256, SHA-256, AES-128-CFB and P-256 ECDH. node:crypto
 * exposes no SP 800-108 or SP 800-56A KDF, so KDFa and KDFe are the counter loops of the spec
 * around node:crypto's HMAC and hash; no arithmetic is done here. Pure.
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TpmError } from './tpm-error.ts';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** A label as the spec uses it: the ASCII characters and a terminating zero octet (Part 1 §11.4.10.2). */
const labelBytes = (label: string): Buffer => Buffer.concat([Buffer.from(label, 'ascii'), Buffer.alloc(1)]);

/**
 * Part 1 §11.4.10.2 KDFa (SP 800-108 counter mode, HMAC-SHA256):
 * K(i) = HMAC(key, [i]32 || Label || 00 || contextU || contextV || [bits]32), i from 1.
 */
export function kdfa(key: Uint8Array, label: string, contextU: Uint8Array, contextV: Uint8Array, bits: number): Buffer {
  const out: Buffer[] = [];
  const bytes = Math.ceil(bits / 8);
  for (let i = 1, have = 0; have < bytes; i++) {
    const block = createHmac('sha256', key).update(u32(i)).update(labelBytes(label)).update(contextU).update(contextV).update(u32(bits)).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, bytes);
}

/**
 * Part 1 §11.4.10.3 KDFe (SP 800-56A concatenation KDF, SHA-256):
 * K(i) = H([i]32 || Z || Label || 00 || partyUInfo || partyVInfo), i from 1.
 */
export function kdfe(z: Uint8Array, label: string, partyU: Uint8Array, partyV: Uint8Array, bits: number): Buffer {
  const out: Buffer[] = [];
  const bytes = Math.ceil(bits / 8);
  for (let i = 1, have = 0; have < bytes; i++) {
    const block = createHash('sha256').update(u32(i)).update(z).update(labelBytes(label)).update(partyU).update(partyV).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, bytes);
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** AES-128 in CFB mode with 128-bit feedback, no padding (Part 1, session-based encryption, "CFB Mode Parameter Encryption"). */
export function aes128Cfb(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const c = encrypt ? createCipheriv('aes-128-cfb', key, iv) : createDecipheriv('aes-128-cfb', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * Part 1, session-based encryption, "CFB Mode Parameter Encryption": KDFa(sessionAlg, sessionKey || authValue, "CFB",
 * nonceNewer, nonceOlder, 128 + 128) gives the AES key then the IV. For a command the newer
 * nonce is nonceCaller, for a response nonceTPM.
 */
export function cfbParameter(encrypt: boolean, hmacKey: Uint8Array, nonceNewer: Uint8Array, nonceOlder: Uint8Array, data: Uint8Array): Buffer {
  const kiv = kdfa(hmacKey, 'CFB', nonceNewer, nonceOlder, 256);
  return aes128Cfb(encrypt, kiv.subarray(0, 16), kiv.subarray(16, 32), data);
}

/**
 * One-pass ECDH on P-256 (SP 800-56A C(1e,1s); Part 1 annex C, "ECC Secret Sharing for Sessions" and "Secret Sharing"): an ephemeral key
 * against the TPM key's public point; Z is the x-coordinate of the shared point, then
 * KDFe(Z, label, ephemeral.x, tpmKey.x). Used for session salts (label "SECRET") and credential
 * seeds (label "IDENTITY", Part 1 "Credential Protection"). Returns the seed and the ephemeral point.
 */
export function eccSecret(label: string, tpmX: Uint8Array, tpmY: Uint8Array, bits = 256): { seed: Buffer; ephX: Buffer; ephY: Buffer } {
  if (tpmX.length > 32 || tpmY.length > 32) throw new TpmError('TPM_KEY_MISMATCH', 'P-256 coordinate longer than 32 bytes');
  const ecdh = createECDH('prime256v1');
  const eph = ecdh.generateKeys();
  const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(32 - tpmX.length), tpmX, Buffer.alloc(32 - tpmY.length), tpmY]);
  let z: Buffer;
  try {
    z = ecdh.computeSecret(point);
  } catch (e) {
    throw new TpmError('TPM_KEY_MISMATCH', 'TPM key public point is not on P-256', {}, { cause: e });
  }
  const ephX = eph.subarray(1, 33);
  const ephY = eph.subarray(33, 65);
  return { seed: kdfe(z, label, ephX, tpmX, bits), ephX, ephY };
}

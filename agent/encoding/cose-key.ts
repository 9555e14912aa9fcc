/**
 * COSE_Key for P-256 public keys (RFC 9053 §7.1.1: kty 2 = EC2, crv 1 = P-256, -2 x, -3 y)
 * and its RFC 9679 thumbprint: SHA-256 over the deterministic encoding of the required
 * members only (RFC 9679 §3: kty, crv, x, y for EC2).
 */
import * as nodeCrypto from 'node:crypto';
import { encodeDeterministic } from './deterministic-cbor.ts';
import type { CborMapKey, CborValue } from './cbor-value.ts';
import { CodedError } from '../../core/coded-error.ts';
import type { EncodingErrorCode } from './errors.ts';

export class CoseKeyError extends CodedError<EncodingErrorCode> {}

export function coseKeyFromPublic(pub: Uint8Array): Map<CborMapKey, CborValue> {
  if (pub.length !== 65 || pub[0] !== 0x04) {
    throw new CoseKeyError('COSE_KEY_BAD_POINT', 'expected an uncompressed P-256 point (65 bytes, 0x04 prefix)', { length: pub.length });
  }
  return new Map<CborMapKey, CborValue>([
    [1, 2],
    [-1, 1],
    [-2, pub.slice(1, 33)],
    [-3, pub.slice(33, 65)],
  ]);
}

export function publicFromCoseKey(key: CborValue): Uint8Array {
  if (!(key instanceof Map)) throw new CoseKeyError('COSE_KEY_MALFORMED', 'COSE_Key is not a map');
  const x = key.get(-2);
  const y = key.get(-3);
  if (key.get(1) !== 2 || key.get(-1) !== 1 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new CoseKeyError('COSE_KEY_UNSUPPORTED', 'only EC2 P-256 keys with 32-byte x and y are accepted');
  }
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(x, 1);
  out.set(y, 33);
  return out;
}

/** RFC 9679 §3 thumbprint of a P-256 public key. */
export function coseKeyThumbprint(pub: Uint8Array): Uint8Array {
  return sha256(encodeDeterministic(coseKeyFromPublic(pub)));
}

// crypto.hash (Node 20.12+) hashes in one call without a Hash object: the observation hot path
// hashes every observation; createHash is the fallback on older 20.x.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

export function sha256(b: Uint8Array): Uint8Array {
  if (oneShotHash) {
    // A plain Uint8Array view of the digest, not a copy of it.
    const h = oneShotHash('sha256', b, 'buffer') as Buffer;
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }
  return new Uint8Array(nodeCrypto.createHash('sha256').update(b).digest());
}

/**
 * COSE_Sign1 (RFC 9052 §4.2) as the wire contract uses it: tagged (tag 18), ES256 (alg -7,
 * RFC 9053 §2.1), raw r || s signature, kid = RFC 9679 thumbprint, typ (label 16, RFC 9596).
 * The bytes to sign are Sig_structure = ["Signature1", protected, external_aad, payload]
 * (RFC 9052 §4.4), deterministically encoded.
 */
import { CborRaw, CborTag, type CborMapKey, type CborValue } from './cbor-value.ts';
import { encodeDeterministic } from './deterministic-cbor.ts';
import { decodeCbor } from './cbor-decode.ts';
import { sha256 } from './cose-key.ts';
import { CodedError } from '../../core/coded-error.ts';
import type { EncodingErrorCode } from './errors.ts';

export class CoseError extends CodedError<EncodingErrorCode> {}

export const COSE_SIGN1_TAG = 18;
export const ALG_ES256 = -7;
export const HDR_ALG = 1;
export const HDR_CRIT = 2;
export const HDR_KID = 4;
export const HDR_TYP = 16;
export const HDR_KCWT = 13;
export const HDR_PARENT_CREDS = -65601;
/** RFC 9942 §3 vdp (verifiable data structure proofs): a batched observation's inclusion proof. */
export const HDR_VDP = 396;

/**
 * The only unprotected labels the wire contract allows (DESIGN.md, wire contract v1): anything
 * else there is unsigned bytes a relay could have added, so a message carrying it is refused.
 */
export const ALLOWED_UNPROTECTED: ReadonlySet<CborMapKey> = new Set<CborMapKey>([HDR_KCWT, HDR_PARENT_CREDS, HDR_VDP]);

export const TYP_OBS = 'application/place-obs+cwt';
export const TYP_CRED = 'application/place-cred+cwt';
export const TYP_GRANT = 'application/place-grant+cwt';
export const TYP_ACCEPT = 'application/place-accept+cwt';
export const TYP_SETTLE = 'application/place-settle+cwt';
export const TYP_REVOKE = 'application/place-revoke+cwt';

export interface Sign1Parts {
  protectedBytes: Uint8Array;
  protectedHeader: Map<CborMapKey, CborValue>;
  unprotected: Map<CborMapKey, CborValue>;
  payload: Uint8Array;
  signature: Uint8Array;
}

export function protectedHeader(kid: Uint8Array, typ: string): Uint8Array {
  return encodeDeterministic(
    new Map<CborMapKey, CborValue>([
      [HDR_ALG, ALG_ES256],
      [HDR_KID, kid],
      [HDR_TYP, typ],
    ]),
  );
}

/** RFC 9052 §4.4 Sig_structure for COSE_Sign1, with empty external_aad. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeDeterministic(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** RFC 8949 §3.1 head of a byte string of length n (major type 2, shortest argument). */
function bstrHead(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x40 | n);
  if (n < 0x100) return Uint8Array.of(0x58, n);
  if (n < 0x10000) return Uint8Array.of(0x59, n >> 8, n & 0xff);
  return Uint8Array.of(0x5a, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// 0x84 array(4), 0x6a text(10) "Signature1".
const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'));

function bstrHeadLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/** Writes the head of a byte string of length n (RFC 8949 §3.1, major type 2) at `o`; returns the offset after it. */
function bstrHeadInto(out: Uint8Array, o: number, n: number): number {
  if (n < 24) out[o++] = 0x40 | n;
  else if (n < 0x100) {
    out[o++] = 0x58;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 0x59;
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  } else {
    out[o++] = 0x5a;
    out[o++] = (n >>> 24) & 0xff;
    out[o++] = (n >>> 16) & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  return o;
}

/**
 * COSE_Sign1 bytes and Sig_structures for one signer's headers, the hot path: what stays the
 * same per observation (tag, protected header, the encoded unprotected header with its ~1 KB of
 * credentials, the Sig_structure's context) is assembled once; each call writes one buffer.
 * Byte-equal to encodeSign1() and sigStructure() (test/unit/cose-assembly.test.ts).
 */
export class Sign1Assembler {
  private readonly sigPrefix: Uint8Array;
  private readonly cosePrefix: Uint8Array;

  constructor(protectedBytes: Uint8Array, unprotectedEncoded: Uint8Array = EMPTY_MAP) {
    // Sig_structure (RFC 9052 §4.4): ["Signature1", body_protected, external_aad = h'', payload].
    this.sigPrefix = concat([SIG1_PREFIX, bstrHead(protectedBytes.length), protectedBytes, Uint8Array.of(0x40)]);
    // 0xd2 tag 18, 0x84 array(4).
    this.cosePrefix = concat([Uint8Array.of(0xd2, 0x84), bstrHead(protectedBytes.length), protectedBytes, unprotectedEncoded]);
  }

  /** Length of the bytes before the payload's head in assemble(): the same for every payload. */
  get prefixLength(): number {
    return this.cosePrefix.length;
  }

  /**
   * The Sig_structure over `payload`. `alloc` gives the array to write it into (a ByteSlab's,
   * for a batch); every byte of it is written.
   */
  sigStructure(payload: Uint8Array, alloc: (n: number) => Uint8Array = newBytes): Uint8Array {
    const out = alloc(this.sigPrefix.length + bstrHeadLength(payload.length) + payload.length);
    out.set(this.sigPrefix, 0);
    out.set(payload, bstrHeadInto(out, this.sigPrefix.length, payload.length));
    return out;
  }

  /** Where the payload starts in sigStructure()'s bytes for a payload of `length` bytes. */
  payloadOffsetInSigStructure(length: number): number {
    return this.sigPrefix.length + bstrHeadLength(length);
  }

  /** The COSE_Sign1 bytes; `alloc` as for sigStructure(). */
  assemble(payload: Uint8Array, signature: Uint8Array, alloc: (n: number) => Uint8Array = newBytes): Uint8Array {
    const out = alloc(this.cosePrefix.length + bstrHeadLength(payload.length) + payload.length + bstrHeadLength(signature.length) + signature.length);
    out.set(this.cosePrefix, 0);
    let o = bstrHeadInto(out, this.cosePrefix.length, payload.length);
    out.set(payload, o);
    o = bstrHeadInto(out, o + payload.length, signature.length);
    out.set(signature, o);
    return out;
  }
}

const EMPTY_MAP = Uint8Array.of(0xa0);
const newBytes = (n: number): Uint8Array => new Uint8Array(n);

/** The same bytes as sigStructure(), assembled without re-encoding. */
export function sigStructureFast(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return new Sign1Assembler(protectedBytes).sigStructure(payload);
}

/**
 * The same bytes as encodeSign1(), from an unprotected header encoded once in advance: an
 * observation carries its credentials (about 1 KB) there, identical every time.
 */
export function assembleSign1(protectedBytes: Uint8Array, unprotectedEncoded: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return new Sign1Assembler(protectedBytes, unprotectedEncoded).assemble(payload, signature);
}

export function encodeSign1(parts: { protectedBytes: Uint8Array; unprotected: Map<CborMapKey, CborValue>; payload: Uint8Array; signature: Uint8Array }): Uint8Array {
  return encodeDeterministic(new CborTag(COSE_SIGN1_TAG, [parts.protectedBytes, parts.unprotected, parts.payload, parts.signature]));
}

/** DESIGN.md, wire contract v1: any inbound signed object larger than this is refused before it is decoded. */
export const MAX_SIGNED_OBJECT_BYTES = 16 * 1024;

/** decodeSign1 for bytes from another party: over MAX_SIGNED_OBJECT_BYTES is COSE_TOO_LARGE, and nothing is decoded. */
export function decodeInboundSign1(bytes: Uint8Array): Sign1Parts {
  if (bytes.length > MAX_SIGNED_OBJECT_BYTES) {
    throw new CoseError('COSE_TOO_LARGE', `${bytes.length} bytes, over the ${MAX_SIGNED_OBJECT_BYTES}-byte bound of a signed object; not decoded`, { length: bytes.length });
  }
  return decodeSign1(bytes);
}

/** Parses a tagged COSE_Sign1. Throws CoseError with a reason when it is not one. */
export function decodeSign1(bytes: Uint8Array): Sign1Parts {
  let v: CborValue;
  try {
    // The envelope's unprotected map may hold nested COSE objects; require deterministic encoding throughout.
    v = decodeCbor(bytes);
  } catch (e) {
    throw new CoseError('COSE_MALFORMED', `not a deterministic CBOR item: ${(e as Error).message}`, {}, { cause: e });
  }
  if (!(v instanceof CborTag) || v.tag !== COSE_SIGN1_TAG) throw new CoseError('COSE_NOT_SIGN1', 'not a tagged COSE_Sign1 (tag 18)');
  const arr = v.value;
  if (!Array.isArray(arr) || arr.length !== 4) throw new CoseError('COSE_MALFORMED', 'COSE_Sign1 must be an array of 4');
  const [p, u, payload, signature] = arr;
  if (!(p instanceof Uint8Array) || !(u instanceof Map) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new CoseError('COSE_MALFORMED', 'COSE_Sign1 members have the wrong types');
  }
  let ph: CborValue;
  try {
    ph = decodeCbor(p);
  } catch (e) {
    throw new CoseError('COSE_MALFORMED', 'protected header is not deterministic CBOR', {}, { cause: e });
  }
  if (!(ph instanceof Map)) throw new CoseError('COSE_MALFORMED', 'protected header is not a map');
  if (ph.get(HDR_ALG) !== ALG_ES256) throw new CoseError('COSE_BAD_ALG', 'algorithm is not ES256', { alg: String(ph.get(HDR_ALG)) });
  if (!(ph.get(HDR_KID) instanceof Uint8Array)) throw new CoseError('COSE_NO_KID', 'protected header has no kid');
  // RFC 9052 §3.1: a recipient must refuse a message whose crit names a label it does not
  // understand; this verifier understands no extension, so any crit is refused.
  if (ph.has(HDR_CRIT)) throw new CoseError('COSE_CRIT_UNSUPPORTED', 'protected header has crit (2): no critical extension is understood here');
  if (signature.length !== 64) throw new CoseError('COSE_BAD_SIGNATURE', 'signature is not 64 bytes of r || s', { length: signature.length });
  for (const label of u.keys()) {
    if (!ALLOWED_UNPROTECTED.has(label)) {
      throw new CoseError('COSE_UNPROTECTED_LABEL', `unprotected header label ${String(label)} is not allowed (only 13, -65601, 396): those bytes are not signed`, { label: String(label) });
    }
  }
  return { protectedBytes: p, protectedHeader: ph, unprotected: u, payload, signature };
}

/**
 * The unprotected header that carries a signer's credentials (DESIGN.md, wire contract v1):
 * label 13 (kcwt, RFC 9528 §3.5.1, typed COSE_Messages) holds the leaf credential's COSE_Sign1
 * as a data item, inline, and -65601 the parents the same way, leaf's parent first.
 */
export function credentialHeader(leaf: Uint8Array, parents: Uint8Array[]): Map<CborMapKey, CborValue> {
  for (const c of [leaf, ...parents]) {
    if (c[0] !== 0xd2) throw new CoseError('COSE_NOT_SIGN1', 'a credential to carry inline must be a tagged COSE_Sign1');
  }
  const m = new Map<CborMapKey, CborValue>([[HDR_KCWT, new CborRaw(leaf)]]);
  if (parents.length) m.set(HDR_PARENT_CREDS, parents.map((p) => new CborRaw(p)));
  return m;
}

export type CarriedCredentials = { ok: true; leaf: Uint8Array; parents: Uint8Array[] } | { ok: false; code: EncodingErrorCode; reason: string };

function inlineSign1(v: CborValue): Uint8Array | undefined {
  return v instanceof CborTag && v.tag === COSE_SIGN1_TAG && v.encoded ? v.encoded : undefined;
}

/** The credentials a decoded message carries inline in 13 and -65601, as the bytes received. */
export function carriedCredentials(s: Sign1Parts): CarriedCredentials {
  const leafV = s.unprotected.get(HDR_KCWT);
  if (leafV === undefined) return { ok: false, code: 'COSE_NO_CREDENTIAL', reason: 'unprotected header 13 carries no leaf credential' };
  const leaf = inlineSign1(leafV);
  if (!leaf) {
    return { ok: false, code: 'COSE_KCWT_NOT_INLINE', reason: 'label 13 must hold the credential COSE_Sign1 inline (tag 18), not a byte string or other item' };
  }
  const parentsV = s.unprotected.get(HDR_PARENT_CREDS) ?? [];
  if (!Array.isArray(parentsV)) return { ok: false, code: 'COSE_KCWT_NOT_INLINE', reason: 'label -65601 is not an array of credentials' };
  const parents: Uint8Array[] = [];
  for (const p of parentsV) {
    const b = inlineSign1(p);
    if (!b) return { ok: false, code: 'COSE_KCWT_NOT_INLINE', reason: 'each -65601 entry must be a credential COSE_Sign1 inline (tag 18)' };
    parents.push(b);
  }
  return { ok: true, leaf, parents };
}

/**
 * h(x) of the wire contract: SHA-256 of a signed object's payload bytes (its claims as signed),
 * so re-encoding an unprotected header changes no reference (prev, cred, parent, grant).
 */
export function objectHash(cose: Uint8Array): Uint8Array {
  return sha256(decodeSign1(cose).payload);
}

/**
 * Interop of the observation wire format (DESIGN.md, wire contract v1) with an independent
 * COSE implementation (@auth0/cose, RFC 9052), the kid against the published RFC 9679 §6
 * thumbprint vector, and tamper evidence: any single changed byte of an observation is
 * rejected by the verifier a counterparty runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Sign1 } from '@auth0/cose';
import { encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { coseKeyThumbprint } from '../../agent/encoding/cose-key.ts';
import { CborTag } from '../../agent/encoding/cbor-value.ts';
import { COSE_SIGN1_TAG, HDR_KCWT, HDR_PARENT_CREDS, TYP_OBS, decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { isLowS } from '../../agent/signing/p256.ts';
import { ObservationChain, GENESIS_PREV, type SignedObservation } from '../../agent/lineage/observation.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from './authority-fixture.ts';
import { Prng } from '../support/prng.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function keyObject(pub: Uint8Array): KeyObject {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) }, format: 'jwk' });
}

let chain: Chain;
let obs: SignedObservation;

beforeAll(async () => {
  chain = await makeChain([{}, {}, {}]); // root, operator, device: parents travel in -65601
  const oc = new ObservationChain(chain.leaf.signer, identityOf(chain), { seq: 0, hash: GENESIS_PREV, epoch: 3n });
  obs = await oc.append({
    kind: 'presence',
    place: PLACE,
    t: NOW * 1000 + 250,
    tq: { src: 'gnss', sync: true, errMs: 4 },
    body: { event: 'arrived', unit: ['mmsi', '211331640'], distance_m: 12.5 },
    location: { lat: 53.5461, lon: 9.9665, accuracyM: 3.5, t: NOW * 1000 },
    nonce: new Uint8Array(16).fill(7),
  });
});

describe('observation interop with @auth0/cose', () => {
  it('decodes as a tagged COSE_Sign1 and verifies under the device key with an independent library', async () => {
    expect(obs.bytes[0]).toBe(0xc0 | COSE_SIGN1_TAG); // tag 18 in the initial byte, RFC 9052 §4.2
    const s = Sign1.decode(obs.bytes);
    expect(s.alg).toBe(-7);
    await expect(s.verify(keyObject(await chain.leaf.signer.publicKey()), { algorithms: [-7] })).resolves.toBeUndefined();
    // The same library refuses it under any other key, e.g. the issuer's.
    await expect(s.verify(keyObject(await chain.links[1]!.signer.publicKey()))).rejects.toThrow();
  });

  it('carries the leaf credential in label 13 and the parents in -65601, both verifiable by the same library', async () => {
    const s = decodeSign1(obs.bytes);
    // Inline (DESIGN.md, revised 2026-11-30): the credential COSE_Sign1 itself, tag 18 and its array.
    expect(s.unprotected.get(HDR_KCWT)).toBeInstanceOf(CborTag);
    expect(hex((s.unprotected.get(HDR_KCWT) as CborTag).encoded!)).toBe(hex(chain.leaf.bytes));
    expect((s.unprotected.get(HDR_PARENT_CREDS) as CborTag[]).map((t) => hex(t.encoded!))).toEqual(chain.parents.map(hex));
    expect(s.protectedHeader.get(16)).toBe(TYP_OBS);
    expect(isLowS(s.signature)).toBe(true);
    // Each credential is itself a COSE_Sign1 under its issuer's key.
    await Sign1.decode(chain.leaf.bytes).verify(keyObject(await chain.links[1]!.signer.publicKey()));
    await Sign1.decode(chain.links[1]!.bytes).verify(keyObject(await chain.anchorSigner.publicKey()));
  });

  it('passes ObservationVerifier with the trust anchor alone', () => {
    const r = new ObservationVerifier([chain.anchor]).check(obs.bytes);
    if (!r.ok) expect.fail(`${r.code}: ${r.reason}`);
    expect(r.claims.seq).toBe(1);
    expect(r.claims.epoch).toBe(3n);
    expect(r.claims.kind).toBe('presence');
    expect(hex(r.claims.nonce!)).toBe('07'.repeat(16));
    // h(): SHA-256 of the payload bytes, not of the whole COSE bytes.
    expect(hex(r.hash)).toBe(createHash('sha256').update(decodeSign1(obs.bytes).payload).digest('hex'));
  });
});

describe('kid: RFC 9679 COSE_Key thumbprint', () => {
  it('matches the published RFC 9679 §6 example', () => {
    // RFC 9679 §6: EC2 P-256 key (the RFC 9052 C.7 example key); thumbprint over
    // {1: 2, -1: 1, -2: x, -3: y} deterministically encoded, SHA-256.
    const x = '65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d';
    const y = '1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c';
    const pub = Uint8Array.from(Buffer.from('04' + x + y, 'hex'));
    expect(hex(coseKeyThumbprint(pub))).toBe('496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec');
  });

  it("equals the thumbprint of the device key computed independently with cborg", async () => {
    const pub = await chain.leaf.signer.publicKey();
    const coseKey = new Map<number, unknown>([
      [1, 2],
      [-1, 1],
      [-2, pub.subarray(1, 33)],
      [-3, pub.subarray(33)],
    ]);
    const independent = createHash('sha256').update(cborgEncode(coseKey, rfc8949EncodeOptions)).digest('hex');
    expect(hex(Sign1.decode(obs.bytes).kid!)).toBe(independent);
  });
});

describe('tamper evidence', () => {
  it('rejects the observation with any single byte changed: every position outside the credentials, 300 inside', () => {
    const verifier = new ObservationVerifier([chain.anchor]);
    expect(verifier.check(obs.bytes).ok).toBe(true);
    const r = new Prng(0x7a3e);
    // The credentials are most of the bytes and each change there costs a full chain check, so
    // they are sampled; the envelope, protected header, payload and signature are exhaustive.
    const inCreds = new Set<number>();
    for (const cred of [chain.leaf.bytes, ...chain.parents]) {
      const at = Buffer.from(obs.bytes).indexOf(Buffer.from(cred));
      expect(at).toBeGreaterThan(0);
      for (let i = at; i < at + cred.length; i++) inCreds.add(i);
    }
    const credOffsets = [...inCreds];
    const positions = new Set<number>();
    for (let i = 0; i < obs.bytes.length; i++) if (!inCreds.has(i)) positions.add(i);
    const outside = positions.size;
    while (positions.size < outside + 300) positions.add(r.pick(credOffsets));
    const accepted: number[] = [];
    const codes = new Set<string>();
    for (const i of positions) {
      const b = obs.bytes.slice();
      b[i] = b[i]! ^ (1 + r.int(255)); // a nonzero mask always changes the byte
      const res = verifier.check(b);
      if (res.ok) accepted.push(i);
      else codes.add(res.code);
    }
    expect(accepted, `accepted with a changed byte at offsets ${accepted.join(', ')}`).toEqual([]);
    // The rejections come from every layer: CBOR structure, claims, credentials and signature.
    expect(codes).toContain('OBS_BAD_SIGNATURE');
    expect(codes).toContain('OBS_CRED_MISMATCH');
    expect(codes).toContain('COSE_MALFORMED');
    expect(outside).toBeGreaterThan(250);
  });
});

/**
 * What an integrator holding nothing but the trust anchor can do with two libraries this
 * project does not encode with: `cbor` (RFC 8949 decoder) and `cose-js` (RFC 9052 COSE_Sign1
 * verification). Every typ the agent and its authority tools emit is decoded and verified here
 * by those two and node:crypto's SHA-256 alone: the credential chain from the anchor key down
 * (each link's key read from its parent's cnf claim), a grant, and observations whose `prev`,
 * `cred` and the credentials' `parent` are the SHA-256 of the named object's payload
 * (DESIGN.md, wire contract v1, revised 2026-11-30); then a whole reservation (site-fixture.ts):
 * a unit's acceptance echoing the grant's nonce and h(grant), a settlement whose references are
 * the SHA-256 of the payloads it names, a revocation list, and the unit and settler credentials
 * with their levels. No project decoder runs on these bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import cbor from 'cbor';
import cose from 'cose-js';
import { ObservationChain, GENESIS_PREV, type SignedObservation } from '../../agent/lineage/observation.ts';
import { issueGrant } from '../../agent/authority/grant.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';
import { makeSite, type Site } from '../unit/site-fixture.ts';

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Labels from DESIGN.md (claims table, credential claims, header labels).
const L = { kcwt: 13, parents: -65601, typ: 16, kid: 4, alg: 1, cnf: 8, scope: 9, parent: -65546, level: -65548, kind: -65537, place: -65538, seq: -65539, prev: -65540, cred: -65544, body: -65545, nonce: 10, location: 264, iat: 6, iss: 1, sub: 2 };

interface Decoded {
  protected: Map<number, unknown>;
  unprotected: Map<number, unknown>;
  payload: Buffer;
  claims: Map<number, unknown>;
}

// Maps as Map, also when empty or text-keyed, so integer labels stay integers.
const cborDecode = (b: Uint8Array) => cbor.decodeFirstSync(b, { preferMap: true });

/** Decodes a tagged COSE_Sign1 with the `cbor` package only. */
function decode(bytes: Uint8Array): Decoded {
  const top = cborDecode(bytes);
  expect(top).toBeInstanceOf(cbor.Tagged);
  expect(top.tag).toBe(18); // RFC 9052 §2: COSE_Sign1 tag
  const [p, u, payload, sig] = top.value as [Buffer, Map<number, unknown>, Buffer, Buffer];
  expect(sig.length).toBe(64);
  expect(u).toBeInstanceOf(Map);
  return { protected: cborDecode(p), unprotected: u, payload, claims: cborDecode(payload) };
}

/** Re-encodes a credential carried inline (a cbor.Tagged) back to the bytes that were signed. */
function inline(v: unknown): Buffer {
  expect(v).toBeInstanceOf(cbor.Tagged);
  expect((v as { tag: number }).tag).toBe(18);
  return cbor.encodeOne(v, { canonical: false });
}

/** The subject key of a credential, read from its cnf claim (RFC 8747 §3.1: {1: COSE_Key}). */
function cnfKey(claims: Map<number, unknown>): { x: Buffer; y: Buffer } {
  const key = (claims.get(L.cnf) as Map<number, Map<number, Buffer>>).get(1)!;
  expect(key.get(1)).toBe(2); // kty EC2
  expect(key.get(-1)).toBe(1); // crv P-256
  return { x: key.get(-2) as unknown as Buffer, y: key.get(-3) as unknown as Buffer };
}

/** Verifies with cose-js under `key`; returns the payload it verified. */
function verifyUnder(bytes: Uint8Array, key: { x: Buffer; y: Buffer }): Buffer {
  return cose.sign.verifySync(bytes, { key });
}

let chain: Chain;
let anchorKey: { x: Buffer; y: Buffer };
let observations: SignedObservation[];
let grant: Uint8Array;

beforeAll(async () => {
  chain = await makeChain([{}, {}, {}]); // root, an intermediate, the device: parents travel in -65601
  const a = chain.anchor.publicKey;
  anchorKey = { x: Buffer.from(a.subarray(1, 33)), y: Buffer.from(a.subarray(33)) };
  const oc = new ObservationChain(chain.leaf.signer, identityOf(chain), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  observations = [];
  for (let i = 0; i < 3; i++) {
    observations.push(
      await oc.append({ kind: i === 1 ? 'presence' : 'envelope', place: PLACE, t: NOW * 1000 + i, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i, ratio: 0.25 } }),
    );
  }
  // The grant is signed by the intermediate authority (links[1]) under the root.
  grant = await issueGrant(
    { issuer: 'urn:authority:1', place: PLACE, reservation: 'R-1', unit: ['mmsi', '211331640'], window: [NOW * 1000, NOW * 1000 + 3_600_000], toleranceM: 50, graceMs: 600_000, nowMs: NOW * 1000 },
    chain.links[1]!.signer,
    chain.links[1]!.bytes,
    [chain.links[0]!.bytes],
  );
});

describe('an integrator with the trust anchor, `cbor` and `cose-js` only', () => {
  it('verifies each credential (typ place-cred+cwt) from the anchor down, each parent named by the SHA-256 of its payload', () => {
    let key = anchorKey;
    let parentPayload: Buffer | undefined;
    for (const link of chain.links) {
      const d = decode(link.bytes);
      expect(d.protected.get(L.typ)).toBe('application/place-cred+cwt');
      expect(d.protected.get(L.alg)).toBe(-7);
      expect(verifyUnder(link.bytes, key).equals(d.payload)).toBe(true);
      if (parentPayload) expect(hex(d.claims.get(L.parent) as Buffer)).toBe(hex(sha256(parentPayload)));
      else expect(d.claims.has(L.parent)).toBe(false);
      key = cnfKey(d.claims);
      parentPayload = d.payload;
    }
  });

  it('verifies every observation (typ place-obs+cwt) through the credentials it carries inline, and walks prev over payloads', () => {
    let prevPayload: Buffer | undefined;
    for (const o of observations) {
      const d = decode(o.bytes);
      expect(d.protected.get(L.typ)).toBe('application/place-obs+cwt');
      expect([...d.unprotected.keys()].every((k) => k === L.kcwt || k === L.parents)).toBe(true);
      // label 13 and each -65601 entry are COSE_Sign1 data items, not byte strings.
      const leaf = inline(d.unprotected.get(L.kcwt));
      const parents = (d.unprotected.get(L.parents) as unknown[]).map(inline);
      expect(hex(leaf)).toBe(hex(chain.leaf.bytes));
      // The chain from the anchor: root is the last parent.
      let key = anchorKey;
      for (const cred of [...parents].reverse().concat([leaf])) key = cnfKey(cborDecode(verifyUnder(cred, key)));
      expect(verifyUnder(o.bytes, key).equals(d.payload)).toBe(true);
      expect(hex(d.claims.get(L.cred) as Buffer)).toBe(hex(sha256(decode(leaf).payload)));
      expect(d.claims.get(L.iss)).toBe(decode(leaf).claims.get(L.sub));
      const prev = d.claims.get(L.prev) as Buffer;
      expect(hex(prev)).toBe(prevPayload ? hex(sha256(prevPayload)) : hex(new Uint8Array(32)));
      prevPayload = d.payload;
    }
    expect(observations.map((o) => decode(o.bytes).claims.get(L.seq))).toEqual([1, 2, 3]);
  });

  it('verifies a grant (typ place-grant+cwt) under the intermediate authority whose credential it carries inline', () => {
    const d = decode(grant);
    expect(d.protected.get(L.typ)).toBe('application/place-grant+cwt');
    expect(d.claims.get(L.kind)).toBe('grant');
    let key = anchorKey;
    const creds = [...(d.unprotected.get(L.parents) as unknown[]).map(inline).reverse(), inline(d.unprotected.get(L.kcwt))];
    for (const cred of creds) key = cnfKey(cborDecode(verifyUnder(cred, key)));
    expect(verifyUnder(grant, key).equals(d.payload)).toBe(true);
    // Under any other key (the device's) it does not verify.
    expect(() => verifyUnder(grant, cnfKey(decode(chain.leaf.bytes).claims))).toThrow();
  });

  it('finds a changed payload byte, whatever library is used', () => {
    const o = observations[0]!;
    const d = decode(o.bytes);
    const at = Buffer.from(o.bytes).indexOf(d.payload) + 5;
    const bad = o.bytes.slice();
    bad[at] = bad[at]! ^ 0x01;
    const leafKey = cnfKey(decode(chain.leaf.bytes).claims);
    expect(() => verifyUnder(bad, leafKey)).toThrow();
  });
});

/** The signer key of a message: its carried chain walked from the anchor with cose-js, each link's key from its parent's cnf. */
function carriedKey(bytes: Uint8Array, anchor: { x: Buffer; y: Buffer }): { key: { x: Buffer; y: Buffer }; leaf: Decoded } {
  const d = decode(bytes);
  expect([...d.unprotected.keys()].every((k) => k === L.kcwt || k === L.parents)).toBe(true);
  const leaf = inline(d.unprotected.get(L.kcwt));
  const parents = ((d.unprotected.get(L.parents) as unknown[] | undefined) ?? []).map(inline);
  let key = anchor;
  for (const cred of [...parents].reverse().concat([leaf])) key = cnfKey(cborDecode(verifyUnder(cred, key)));
  return { key, leaf: decode(leaf) };
}

describe('the same integrator, on acceptances, settlements and revocation lists', () => {
  let site: Site;
  let anchor: { x: Buffer; y: Buffer };
  const body = (d: Decoded) => d.claims.get(L.body) as Map<string, unknown>;
  /** Decodes a signed object, checks its typ and kind, verifies it under the key its carried chain gives, and checks that chain's leaf level. */
  const verifiedAs = (bytes: Uint8Array, typ: string, kind: string, level: string): { d: Decoded; leaf: Decoded } => {
    const d = decode(bytes);
    expect(d.protected.get(L.typ)).toBe(`application/${typ}+cwt`);
    expect(d.claims.get(L.kind)).toBe(kind);
    const { key, leaf } = carriedKey(bytes, anchor);
    expect(verifyUnder(bytes, key).equals(d.payload)).toBe(true);
    expect(leaf.claims.get(L.level)).toBe(level);
    return { d, leaf };
  };
  beforeAll(async () => {
    site = await makeSite();
    const a = site.chain.anchor.publicKey;
    anchor = { x: Buffer.from(a.subarray(1, 33)), y: Buffer.from(a.subarray(33)) };
  });

  it('verifies an acceptance (typ place-accept+cwt) under a unit credential naming the unit, echoing the nonce and h(grant)', () => {
    const { d, leaf } = verifiedAs(site.acceptance, 'place-accept', 'acceptance', 'unit');
    expect((leaf.claims.get(L.scope) as Map<string, unknown>).get('units')).toEqual(['mmsi:211331640']);
    expect(d.claims.get(L.iss)).toBe(leaf.claims.get(L.sub));
    const g = decode(site.grant);
    expect(hex(d.claims.get(L.nonce) as Buffer)).toBe(hex(g.claims.get(L.nonce) as Buffer));
    expect(d.claims.get(L.place)).toBe(g.claims.get(L.place));
    const b = body(d);
    expect(hex(b.get('grant') as Buffer)).toBe(hex(sha256(g.payload)));
    expect(b.get('reservation')).toBe(body(g).get('reservation'));
    expect(b.get('unit')).toEqual(body(g).get('unit'));
    // EAT location (RFC 9711): 1 lat, 2 lon, 4 accuracy, 8 time in seconds.
    const loc = d.claims.get(L.location) as Map<number, number>;
    expect([loc.get(1), loc.get(2), loc.get(4)]).toEqual([53.5396, 9.9834, 8]);
    expect(Number.isInteger(loc.get(8))).toBe(true);
  });

  it('verifies a settlement (typ place-settle+cwt) under a settler credential, each reference the SHA-256 of the named payload', () => {
    const { d } = verifiedAs(site.settlement, 'place-settle', 'settlement', 'settler');
    const b = body(d);
    expect(b.get('outcome')).toBe('settled');
    expect(hex(b.get('grant') as Buffer)).toBe(hex(sha256(decode(site.grant).payload)));
    expect(hex(b.get('acceptance') as Buffer)).toBe(hex(sha256(decode(site.acceptance).payload)));
    expect((b.get('attestations') as Buffer[]).map(hex)).toEqual([hex(sha256(decode(site.presence.bytes).payload))]);
    const checks = b.get('checks') as Map<string, Map<string, unknown>>;
    expect([...checks.keys()].sort()).toEqual(['admissibility', 'authority', 'spatial', 'temporal']);
    for (const c of checks.values()) expect(c.get('ok')).toBe(true);
    // The attestation it names echoes the grant's nonce (DESIGN.md, "Proximity attestation": arrived).
    expect(hex(decode(site.presence.bytes).claims.get(L.nonce) as Buffer)).toBe(hex(decode(site.grant).claims.get(L.nonce) as Buffer));
  });

  it('verifies a revocation list (typ place-revoke+cwt) under the root credential, which the anchor signed', () => {
    const { d } = verifiedAs(site.revocation, 'place-revoke', 'revocation', 'root');
    expect(d.claims.get(L.seq)).toBe(1);
    expect(d.unprotected.has(L.parents)).toBe(false);
    const b = body(d);
    expect((b.get('revoked') as Buffer[]).every((x) => x.length === 32)).toBe(true);
    expect(b.get('grants')).toEqual([]);
    expect(Number.isInteger(b.get('next_ms'))).toBe(true);
  });

  it('a credential on its own (the unit\'s) verifies under its parent, the root, named by the SHA-256 of the root payload', () => {
    const d = decode(site.unit.credential);
    expect(d.protected.get(L.typ)).toBe('application/place-cred+cwt');
    const root = decode(site.root.credential);
    expect(hex(d.claims.get(L.parent) as Buffer)).toBe(hex(sha256(root.payload)));
    const rootKey = cnfKey(cborDecode(verifyUnder(site.root.credential, anchor)));
    expect(verifyUnder(site.unit.credential, rootKey).equals(d.payload)).toBe(true);
    // The root's cnf is the anchor's own key (the root credential is the anchor's); under any other key, here the unit's, it fails.
    expect(hex(rootKey.x)).toBe(hex(anchor.x));
    expect(() => verifyUnder(site.unit.credential, cnfKey(d.claims))).toThrow();
  });
});

/**
 * Revocation lists (DESIGN.md, "Revocation list"): what the verifier accepts and refuses (the
 * 16 KiB bound before decoding, levels, anchors, unknown unprotected labels, the claims, kid,
 * signature, iss, iat), and whose entries count for which chain (an issuer speaks for its own
 * credential and those below it, never for a sibling authority's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueRevocationList, verifyRevocationList, revokedLink, grantRevokedBy, chainLinks, MAX_REVOCATION_BYTES, type RevocationRequest, type RevocationList } from '../../agent/authority/revocation.ts';
import { issueGrant, verifyGrant } from '../../agent/authority/grant.ts';
import { TYP_REVOKE, decodeSign1, encodeSign1, protectedHeader, sigStructure } from '../../agent/encoding/cose-sign1.ts';
import { coseKeyThumbprint, sha256 } from '../../agent/encoding/cose-key.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import type { CborMapKey, CborValue } from '../../agent/encoding/cbor-value.ts';
import { CLAIM } from '../../agent/lineage/observation-types.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { NOW, PLACE, makeChain, type Chain } from './authority-fixture.ts';

const T = NOW * 1000;
let site: Chain; // root -> authority A -> gateway
let siblingSameRoot: Uint8Array; // authority B' under site's root
let siblingSigner: SoftwareSigner;
let foreign: Chain; // another anchor -> authority

const h = (cred: Uint8Array) => sha256(decodeSign1(cred).payload);
const req = (over: Partial<RevocationRequest> = {}): RevocationRequest => ({ issuer: 'urn:authority:1', seq: 1, revoked: [], grants: [], nextMs: T + 86_400_000, nowMs: T, ...over });

beforeAll(async () => {
  site = await makeChain([{}, { level: 'authority', depth: 1 }, {}]);
  foreign = await makeChain([{}, { level: 'authority', depth: 0 }]);
  // A second authority under the site's own root, beside authority A.
  const { issueCredential } = await import('../../agent/authority/credential.ts');
  siblingSigner = SoftwareSigner.generate();
  siblingSameRoot = await issueCredential(
    { issuer: 'urn:authority:0', subject: 'urn:authority:sibling', subjectKey: await siblingSigner.publicKey(), scope: { places: ['urn:place:DEHAM:*'], kinds: ['*'], units: ['*'], maxWindowMs: 86_400_000, maxGraceMs: 3_600_000, maxToleranceM: 500 }, notBefore: NOW - 86_400, notAfter: NOW + 86_400 * 10, now: NOW, depth: 1, level: 'authority', parentBytes: site.links[0]!.bytes },
    site.anchorSigner,
  );
});

const byRoot = (over: Partial<RevocationRequest> = {}) => issueRevocationList(req({ issuer: 'urn:authority:0', ...over }), site.anchorSigner, site.links[0]!.bytes, []);
const byAuthority = (over: Partial<RevocationRequest> = {}) => issueRevocationList(req(over), site.links[1]!.signer, site.links[1]!.bytes, [site.links[0]!.bytes]);
const verified = async (bytes: Uint8Array | Promise<Uint8Array>, at = T): Promise<RevocationList> => {
  const r = verifyRevocationList(await bytes, [site.anchor], at);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.list;
};
const codeOf = async (bytes: Uint8Array | Promise<Uint8Array>, anchors = [site.anchor]) => {
  const r = verifyRevocationList(await bytes, anchors, T);
  return r.ok ? 'OK' : r.code;
};

describe('verifyRevocationList', () => {
  it('accepts a root list and an authority list, with their seq, entries, next_ms and issuer key', async () => {
    const gw = h(site.leaf.bytes);
    const root = await verified(byRoot({ seq: 7, revoked: [gw], grants: [new Uint8Array(16).fill(9)] }));
    expect(root.seq).toBe(7);
    expect(root.level).toBe('root');
    expect(Buffer.from(root.revoked[0]!).equals(Buffer.from(gw))).toBe(true);
    expect(root.grants[0]).toEqual(new Uint8Array(16).fill(9));
    expect(root.nextMs).toBe(T + 86_400_000);
    expect(Buffer.from(root.kid).equals(Buffer.from(site.anchor.kid))).toBe(true);
    const auth = await verified(byAuthority({ seq: 2 }));
    expect(auth.level).toBe('authority');
    expect(auth.chain).toHaveLength(2);
    expect(Buffer.from(auth.kid).equals(Buffer.from(coseKeyThumbprint(await site.links[1]!.signer.publicKey())))).toBe(true);
  });

  it('refuses a list signed by a gateway credential (the taxonomy), whatever its scope kinds say', async () => {
    const bytes = await issueRevocationList(req({ issuer: 'urn:place-agent:01aabbccddeeff00112233445566778899' }), site.leaf.signer, site.leaf.bytes, site.parents);
    expect(await codeOf(bytes)).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
  });

  it('refuses a list from an authority under another trust anchor', async () => {
    const bytes = await issueRevocationList(req(), foreign.leaf.signer, foreign.leaf.bytes, foreign.parents);
    expect(await codeOf(bytes)).toBe('CHAIN_UNKNOWN_ANCHOR');
  });

  it('refuses more than 16 KiB before decoding it', async () => {
    const junk = new Uint8Array(MAX_REVOCATION_BYTES + 1).fill(0xff);
    expect(await codeOf(junk)).toBe('REVOCATION_TOO_LARGE');
    // The same junk under the bound is decoded, and refused for what it is.
    expect(await codeOf(junk.subarray(0, MAX_REVOCATION_BYTES))).toMatch(/^COSE_/);
    // A list of 600 hashes is over the bound.
    const many = Array.from({ length: 600 }, (_, i) => sha256(Uint8Array.of(i & 0xff, i >> 8)));
    expect(await codeOf(byRoot({ revoked: many }))).toBe('REVOCATION_TOO_LARGE');
  });

  it('refuses an unprotected label the contract does not allow, even on a correctly signed list', async () => {
    const s = decodeSign1(await byRoot());
    const u = new Map(s.unprotected);
    u.set(99, new Uint8Array(2));
    expect(await codeOf(encodeSign1({ ...s, unprotected: u }))).toBe('COSE_UNPROTECTED_LABEL');
  });

  it('refuses a grant presented as a list, a flipped payload byte, and a list without its credential', async () => {
    const grant = await issueGrant({ issuer: 'urn:authority:1', place: PLACE, reservation: 'R1', unit: ['mmsi', '1'], window: [T, T + 60_000], toleranceM: 10, graceMs: 0, nowMs: T }, site.links[1]!.signer, site.links[1]!.bytes, [site.links[0]!.bytes]);
    expect(verifyGrant(grant, [site.anchor], T, PLACE).ok).toBe(true);
    expect(await codeOf(grant)).toBe('REVOCATION_WRONG_TYPE');
    const s = decodeSign1(await byRoot({ seq: 3 }));
    const payload = s.payload.slice();
    // One bit of the iss text ('urn:...' -> 'trn:...'): still well-formed CBOR, no longer what was signed.
    const at = Buffer.from(payload).indexOf('urn:authority');
    payload[at]! ^= 0x01;
    expect(await codeOf(encodeSign1({ ...s, payload }))).toBe('REVOCATION_BAD_SIGNATURE');
    expect(await codeOf(encodeSign1({ ...s, unprotected: new Map() }))).toBe('REVOCATION_NO_CREDENTIAL');
  });

  it('refuses a kid that is not the issuer credential key, an iss that is not its subject, a future iat, and malformed claims', async () => {
    // Signed by the authority's key but carrying the root's credential.
    const wrongCred = await issueRevocationList(req({ issuer: 'urn:authority:0' }), site.links[1]!.signer, site.links[0]!.bytes, []);
    expect(await codeOf(wrongCred)).toBe('REVOCATION_KID_MISMATCH');
    expect(await codeOf(byRoot({ issuer: 'urn:authority:someone-else' }))).toBe('REVOCATION_ISS_MISMATCH');
    expect(await codeOf(byRoot({ nowMs: T + 10 * 60_000 }))).toBe('REVOCATION_FROM_THE_FUTURE');
    expect(await codeOf(byRoot({ seq: 0 }))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(byRoot({ revoked: [new Uint8Array(31)] }))).toBe('REVOCATION_MALFORMED');
    expect(await codeOf(byRoot({ grants: [new Uint8Array(32)] }))).toBe('REVOCATION_MALFORMED');
  });

  it('refuses a properly signed object of typ place-revoke whose kind is not revocation', async () => {
    const s = decodeSign1(await byRoot());
    const m = decodeCbor(s.payload) as Map<CborMapKey, CborValue>;
    m.set(CLAIM.kind, 'grant');
    const payload = encodeDeterministic(m);
    const p = protectedHeader(site.anchor.kid, TYP_REVOKE);
    const bytes = encodeSign1({ protectedBytes: p, unprotected: s.unprotected, payload, signature: await site.anchorSigner.sign(sigStructure(p, payload)) });
    expect(await codeOf(bytes)).toBe('REVOCATION_MALFORMED');
  });

  it('checks the issuer chain at the time given: an expired authority cannot issue a list now', async () => {
    const late = T + 40 * 86_400_000; // the fixture's credentials hold 30 days
    const bytes = await issueRevocationList(req({ nowMs: late }), site.links[1]!.signer, site.links[1]!.bytes, [site.links[0]!.bytes]);
    const r = verifyRevocationList(bytes, [site.anchor], late);
    expect(r.ok ? 'OK' : r.code).toBe('CHAIN_EXPIRED');
  });
});

describe('whose entries count', () => {
  it('a root list or the issuing authority list revokes the gateway; the link named is the revoked one', async () => {
    const links = chainLinks(site.leaf.bytes, site.parents)!;
    expect(links).toHaveLength(3);
    const gw = h(site.leaf.bytes);
    const viaRoot = await verified(byRoot({ revoked: [gw] }));
    const viaAuthority = await verified(byAuthority({ revoked: [gw] }));
    expect(revokedLink([viaRoot], links)?.link).toBe(0);
    expect(revokedLink([viaAuthority], links)?.list.level).toBe('authority');
    // Revoking the intermediate authority revokes everything under it.
    const mid = await verified(byRoot({ seq: 2, revoked: [h(site.links[1]!.bytes)] }));
    expect(revokedLink([mid], links)?.link).toBe(1);
    // A list that names other credentials revokes nothing here.
    expect(revokedLink([await verified(byRoot({ seq: 3, revoked: [new Uint8Array(32).fill(1)] }))], links)).toBeUndefined();
  });

  it('a sibling authority under the same root cannot revoke the gateway, nor a grant it did not sign', async () => {
    const links = chainLinks(site.leaf.bytes, site.parents)!;
    const gw = h(site.leaf.bytes);
    const bytes = await issueRevocationList(req({ issuer: 'urn:authority:sibling', revoked: [gw], grants: [new Uint8Array(16).fill(4)] }), siblingSigner, siblingSameRoot, [site.links[0]!.bytes]);
    const list = await verified(bytes);
    expect(revokedLink([list], links)).toBeUndefined();
    const grantorLinks = chainLinks(site.links[1]!.bytes, [site.links[0]!.bytes])!;
    expect(grantRevokedBy([list], new Uint8Array(16).fill(4), grantorLinks)).toBeUndefined();
  });

  it('a grant is revoked by cti from its grantor or an ancestor of the grantor', async () => {
    const cti = new Uint8Array(16).fill(7);
    const grantorLinks = chainLinks(site.links[1]!.bytes, [site.links[0]!.bytes])!;
    expect(grantRevokedBy([await verified(byAuthority({ grants: [cti] }))], cti, grantorLinks)?.level).toBe('authority');
    expect(grantRevokedBy([await verified(byRoot({ grants: [cti] }))], cti, grantorLinks)?.level).toBe('root');
    expect(grantRevokedBy([await verified(byRoot({ grants: [cti] }))], new Uint8Array(16), grantorLinks)).toBeUndefined();
  });
});

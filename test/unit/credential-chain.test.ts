/**
 * Credential chain rules (DESIGN.md, "Credential"): each link verifies under its parent's cnf
 * key, the root under a configured trust anchor; a child's scope and validity lie inside its
 * parent's; depth strictly decreases; at most 4 links; any doubt fails closed with a reason.
 */
import { describe, expect, it } from 'vitest';
import { verifyCredentialChain, trustAnchor, type ChainResult } from '../../agent/authority/chain.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { coseKeyThumbprint } from '../../agent/encoding/cose-key.ts';
import { TYP_ACCEPT, TYP_CRED, TYP_GRANT, TYP_OBS, TYP_REVOKE, TYP_SETTLE, decodeSign1, encodeSign1, protectedHeader, sigStructure } from '../../agent/encoding/cose-sign1.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { DAY, NOW, PLACE, WIDE, makeChain } from './authority-fixture.ts';

function failure(r: ChainResult): { code: string; link: number; reason: string } {
  if (r.ok) return expect.fail('chain verified but should have failed');
  return r;
}

/** Re-signs a credential's protected header and payload with `signer`, keeping the kid it claims. */
async function resign(cred: Uint8Array, signer: SoftwareSigner, typ = TYP_CRED): Promise<Uint8Array> {
  const s = decodeSign1(cred);
  const p = protectedHeader(s.protectedHeader.get(4) as Uint8Array, typ);
  return encodeSign1({ protectedBytes: p, unprotected: s.unprotected, payload: s.payload, signature: await signer.sign(sigStructure(p, s.payload)) });
}

describe('credential chain', () => {
  it('verifies a root and a device leaf (2 links) and returns the leaf claims', async () => {
    const c = await makeChain();
    const r = verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW, { place: PLACE, kind: 'presence' });
    if (!r.ok) expect.fail(`${r.code}: ${r.reason}`);
    expect(r.links).toHaveLength(2);
    expect(r.leaf.level).toBe('gateway');
    expect(Buffer.from(r.leaf.subjectKey).equals(Buffer.from(await c.leaf.signer.publicKey()))).toBe(true);
  });

  it('verifies 3 and 4 links, and refuses 5 with CHAIN_TOO_LONG', async () => {
    for (const n of [3, 4]) {
      const c = await makeChain(Array.from({ length: n }, () => ({})));
      const r = verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW);
      expect(r.ok, `chain of ${n}`).toBe(true);
    }
    const c = await makeChain(Array.from({ length: 5 }, () => ({})));
    expect(failure(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW)).code).toBe('CHAIN_TOO_LONG');
  });

  it('accepts a root credential alone (the authority speaking for itself)', async () => {
    const c = await makeChain([{}]);
    expect(verifyCredentialChain(c.leaf.bytes, [], [c.anchor], NOW).ok).toBe(true);
  });

  it('fails a leaf issued by a key other than its parent with CHAIN_KID_MISMATCH', async () => {
    const c = await makeChain();
    const intruder = SoftwareSigner.generate();
    const forged = await issueCredential(
      { issuer: 'urn:authority:0', subject: 'urn:place-agent:x', subjectKey: await intruder.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + DAY, now: NOW, depth: 0, level: 'gateway', parentBytes: c.links[0]!.bytes },
      intruder,
    );
    const f = failure(verifyCredentialChain(forged, c.parents, [c.anchor], NOW));
    expect(f.code).toBe('CHAIN_KID_MISMATCH');
    expect(f.link).toBe(0);
  });

  it("fails a leaf that claims its parent's kid but is signed by another key with CHAIN_BAD_SIGNATURE", async () => {
    const c = await makeChain();
    const forged = await resign(c.leaf.bytes, SoftwareSigner.generate());
    const f = failure(verifyCredentialChain(forged, c.parents, [c.anchor], NOW));
    expect(f.code).toBe('CHAIN_BAD_SIGNATURE');
    expect(f.link).toBe(0);
  });

  it('fails a root signed by another key under the anchor kid with CHAIN_BAD_SIGNATURE at the root', async () => {
    const c = await makeChain([{}, {}, {}]);
    const forgedRoot = await resign(c.links[0]!.bytes, SoftwareSigner.generate());
    const f = failure(verifyCredentialChain(c.leaf.bytes, [c.parents[0]!, forgedRoot], [c.anchor], NOW));
    // The intermediate's parent hash no longer matches either, but the root is checked first.
    expect(f.code).toBe('CHAIN_BAD_SIGNATURE');
    expect(f.link).toBe(2);
  });

  it('fails a root from an anchor that is not configured with CHAIN_UNKNOWN_ANCHOR', async () => {
    const c = await makeChain();
    const other = trustAnchor(await SoftwareSigner.generate().publicKey());
    expect(failure(verifyCredentialChain(c.leaf.bytes, c.parents, [other], NOW)).code).toBe('CHAIN_UNKNOWN_ANCHOR');
    expect(failure(verifyCredentialChain(c.leaf.bytes, c.parents, [], NOW)).code).toBe('CHAIN_UNKNOWN_ANCHOR');
  });

  it('fails an expired and a not-yet-valid leaf', async () => {
    const c = await makeChain([{}, { notBefore: NOW - DAY, notAfter: NOW - 1 }]);
    expect(failure(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW)).code).toBe('CHAIN_EXPIRED');
    const d = await makeChain([{}, { notBefore: NOW + 10, notAfter: NOW + DAY }]);
    expect(failure(verifyCredentialChain(d.leaf.bytes, d.parents, [d.anchor], NOW)).code).toBe('CHAIN_NOT_YET_VALID');
    // The same chain is fine once its window opens, and fails again after the root expires.
    expect(verifyCredentialChain(d.leaf.bytes, d.parents, [d.anchor], NOW + 10).ok).toBe(true);
    const f = failure(verifyCredentialChain(d.leaf.bytes, d.parents, [d.anchor], NOW + 31 * DAY));
    expect(f.code).toBe('CHAIN_EXPIRED');
    expect(f.link).toBe(1);
  });

  it('gives a reason, not an exception, for validity times a Date cannot hold', async () => {
    // Beyond 2^53 a time is no exact integer: refused as malformed (fails closed), never thrown.
    const past = await makeChain([{ notBefore: -2e20, notAfter: -1e20 }]);
    expect(failure(verifyCredentialChain(past.leaf.bytes, [], [past.anchor], NOW)).code).toBe('CHAIN_MALFORMED');
    const future = await makeChain([{ notBefore: 1e20, notAfter: 2e20 }]);
    expect(failure(verifyCredentialChain(future.leaf.bytes, [], [future.anchor], NOW)).code).toBe('CHAIN_MALFORMED');
    const farFuture = await makeChain([{ notBefore: 8e15, notAfter: 9e15 }]);
    expect(failure(verifyCredentialChain(farFuture.leaf.bytes, [], [farFuture.anchor], NOW)).code).toBe('CHAIN_NOT_YET_VALID');
  });

  it("fails a leaf whose validity reaches outside its parent's with CHAIN_VALIDITY_OUTSIDE_PARENT", async () => {
    const late = await makeChain([{}, { notAfter: NOW + 60 * DAY }]);
    expect(failure(verifyCredentialChain(late.leaf.bytes, late.parents, [late.anchor], NOW)).code).toBe('CHAIN_VALIDITY_OUTSIDE_PARENT');
    const early = await makeChain([{}, { notBefore: NOW - 2 * DAY }]);
    expect(failure(verifyCredentialChain(early.leaf.bytes, early.parents, [early.anchor], NOW)).code).toBe('CHAIN_VALIDITY_OUTSIDE_PARENT');
  });

  const narrow = { places: ['urn:place:DEHAM:berth:*'], kinds: ['envelope', 'presence'], units: ['mmsi'], maxWindowMs: DAY * 1000, maxGraceMs: 3_600_000, maxToleranceM: 1_000 };
  it.each([
    ['place pattern', { ...narrow, places: ['urn:place:*'] }],
    ['place prefix without its separator', { ...narrow, places: ['urn:place:DEHAM:berth*'] }],
    ['exact place outside', { ...narrow, places: ['urn:place:DEHAM:dock:1'] }],
    ['kinds', { ...narrow, kinds: ['envelope', 'grant'] }],
    ['kinds wildcard', { ...narrow, kinds: ['*'] }],
    ['unit schemes', { ...narrow, units: ['mmsi', 'rfid'] }],
    ['window', { ...narrow, maxWindowMs: DAY * 1000 + 1 }],
    ['grace', { ...narrow, maxGraceMs: 3_600_001 }],
    ['tolerance', { ...narrow, maxToleranceM: 1_000.5 }],
  ])("fails a child scope wider than its parent's (%s) with CHAIN_SCOPE_OUTSIDE_PARENT", async (_what, wider) => {
    const ok = await makeChain([{ scope: narrow }, { scope: { ...narrow, places: ['urn:place:DEHAM:berth:42'] } }]);
    expect(verifyCredentialChain(ok.leaf.bytes, ok.parents, [ok.anchor], NOW).ok).toBe(true);
    const c = await makeChain([{ scope: narrow }, { scope: wider }]);
    const f = failure(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW));
    expect(f.code).toBe('CHAIN_SCOPE_OUTSIDE_PARENT');
    expect(f.link).toBe(0);
  });

  it('fails a depth that does not strictly decrease, or that goes below zero, with CHAIN_DEPTH', async () => {
    const same = await makeChain([{ depth: 1 }, { depth: 1 }]);
    expect(failure(verifyCredentialChain(same.leaf.bytes, same.parents, [same.anchor], NOW)).code).toBe('CHAIN_DEPTH');
    // A root of depth 0 allows no delegation at all: a child of depth -1 must not slip through.
    const exhausted = await makeChain([{ depth: 0 }, { depth: -1 }]);
    expect(failure(verifyCredentialChain(exhausted.leaf.bytes, exhausted.parents, [exhausted.anchor], NOW)).code).toBe('CHAIN_DEPTH');
  });

  it('fails a leaf whose parent hash names another credential with CHAIN_PARENT_MISMATCH', async () => {
    const c = await makeChain();
    const root = c.links[0]!;
    const otherRoot = await issueCredential(
      { issuer: 'urn:authority:root', subject: 'urn:authority:0', subjectKey: await root.signer.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + 30 * DAY, now: NOW, depth: 1, level: 'root' },
      c.anchorSigner,
    );
    // Same signer, same key, but a different root credential: the link is to a document that is not in the chain.
    expect(failure(verifyCredentialChain(c.leaf.bytes, [otherRoot], [c.anchor], NOW)).code).toBe('CHAIN_PARENT_MISMATCH');
    const orphan = await issueCredential(
      { issuer: 'urn:authority:0', subject: 'urn:place-agent:x', subjectKey: await c.leaf.signer.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + DAY, now: NOW, depth: 0, level: 'gateway' },
      root.signer,
    );
    expect(failure(verifyCredentialChain(orphan, c.parents, [c.anchor], NOW)).code).toBe('CHAIN_PARENT_MISMATCH');
  });

  it('fails a root that names a parent not in the chain with CHAIN_MISSING_PARENT', async () => {
    const c = await makeChain();
    const rootWithParent = await issueCredential(
      { issuer: 'urn:authority:root', subject: 'urn:authority:0', subjectKey: await c.anchorSigner.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + DAY, now: NOW, depth: 1, level: 'root', parentBytes: c.leaf.bytes },
      c.anchorSigner,
    );
    expect(failure(verifyCredentialChain(rootWithParent, [], [c.anchor], NOW)).code).toBe('CHAIN_MISSING_PARENT');
  });

  it('fails a place or kind outside the leaf scope with CHAIN_OUT_OF_SCOPE', async () => {
    const c = await makeChain([{}, { scope: { places: [PLACE], kinds: ['envelope'], units: ['*'], maxWindowMs: 1000, maxGraceMs: 0, maxToleranceM: 0 } }]);
    expect(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW, { place: PLACE, kind: 'envelope' }).ok).toBe(true);
    const place = failure(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW, { place: 'urn:place:DEHAM:berth:43', kind: 'envelope' }));
    expect(place.code).toBe('CHAIN_OUT_OF_SCOPE');
    expect(place.reason).toContain('berth:43');
    expect(failure(verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW, { place: PLACE, kind: 'presence' })).code).toBe('CHAIN_OUT_OF_SCOPE');
  });

  it('fails bytes that are not a credential', async () => {
    const c = await makeChain();
    expect(failure(verifyCredentialChain(new Uint8Array([1, 2, 3]), c.parents, [c.anchor], NOW)).code).toBe('CHAIN_MALFORMED');
    const asObservation = await resign(c.leaf.bytes, c.links[0]!.signer, TYP_OBS);
    expect(failure(verifyCredentialChain(asObservation, c.parents, [c.anchor], NOW)).code).toBe('CHAIN_WRONG_TYPE');
    // A well-signed credential with a payload missing required claims fails closed too.
    const s = decodeSign1(c.leaf.bytes);
    const p = protectedHeader(coseKeyThumbprint(await c.links[0]!.signer.publicKey()), TYP_CRED);
    const payload = new Uint8Array([0xa1, 0x01, 0x61, 0x78]); // {1: "x"}
    const bare = encodeSign1({ protectedBytes: p, unprotected: s.unprotected, payload, signature: await c.links[0]!.signer.sign(sigStructure(p, payload)) });
    expect(failure(verifyCredentialChain(bare, c.parents, [c.anchor], NOW)).code).toBe('CHAIN_MALFORMED');
  });

  describe('authority taxonomy (level, -65548)', () => {
    it('lets a gateway sign observations only, never a grant, credential, acceptance, settlement or revocation, even with kinds *', async () => {
      const c = await makeChain(); // root -> gateway, WIDE scope (kinds *)
      const need = (typ: string, kind: string) => verifyCredentialChain(c.leaf.bytes, c.parents, [c.anchor], NOW, { place: PLACE, kind, typ });
      expect(need(TYP_OBS, 'presence').ok).toBe(true);
      for (const [typ, kind] of [[TYP_GRANT, 'grant'], [TYP_CRED, 'credential'], [TYP_ACCEPT, 'acceptance'], [TYP_SETTLE, 'settlement'], [TYP_REVOKE, 'revocation']] as const) {
        expect(failure(need(typ, kind)).code, typ).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
      }
    });

    it('lets an authority sign grants and not observations; a unit acceptances; a settler settlements', async () => {
      const a = await makeChain([{}, { level: 'authority', depth: 0 }]);
      expect(verifyCredentialChain(a.leaf.bytes, a.parents, [a.anchor], NOW, { place: PLACE, kind: 'grant', typ: TYP_GRANT }).ok).toBe(true);
      expect(failure(verifyCredentialChain(a.leaf.bytes, a.parents, [a.anchor], NOW, { place: PLACE, kind: 'presence', typ: TYP_OBS })).code).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
      const u = await makeChain([{}, { level: 'unit' }]);
      expect(verifyCredentialChain(u.leaf.bytes, u.parents, [u.anchor], NOW, { place: PLACE, kind: 'acceptance', typ: TYP_ACCEPT }).ok).toBe(true);
      expect(failure(verifyCredentialChain(u.leaf.bytes, u.parents, [u.anchor], NOW, { place: PLACE, kind: 'grant', typ: TYP_GRANT })).code).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
      const st = await makeChain([{}, { level: 'settler' }]);
      expect(verifyCredentialChain(st.leaf.bytes, st.parents, [st.anchor], NOW, { place: PLACE, kind: 'settlement', typ: TYP_SETTLE }).ok).toBe(true);
    });

    it('refuses a gateway that issued a credential, a root below the top, a top that is not root, and an unknown level', async () => {
      const viaGateway = await makeChain([{}, { level: 'gateway', depth: 1 }, {}]);
      expect(failure(verifyCredentialChain(viaGateway.leaf.bytes, viaGateway.parents, [viaGateway.anchor], NOW)).code).toBe('CHAIN_LEVEL_CANNOT_ISSUE');
      const secondRoot = await makeChain([{}, { level: 'root', depth: 1 }, {}]);
      expect(failure(verifyCredentialChain(secondRoot.leaf.bytes, secondRoot.parents, [secondRoot.anchor], NOW)).code).toBe('CHAIN_BAD_LEVEL');
      const topNotRoot = await makeChain([{ level: 'authority' }, {}]);
      expect(failure(verifyCredentialChain(topNotRoot.leaf.bytes, topNotRoot.parents, [topNotRoot.anchor], NOW)).code).toBe('CHAIN_BAD_LEVEL');
      const odd = await makeChain([{}, { level: 'device' }]);
      expect(failure(verifyCredentialChain(odd.leaf.bytes, odd.parents, [odd.anchor], NOW)).code).toBe('CHAIN_BAD_LEVEL');
    });
  });
});

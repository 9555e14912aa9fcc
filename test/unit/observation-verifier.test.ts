/**
 * What ObservationVerifier refuses, each with its reason (DESIGN.md, wire contract v1): the
 * typ, the carried credential and its hash claim, iss against the credential's subject, kid
 * against the credential's key, low-S, the signature, and claims of the wrong shape. The
 * verifier reads untrusted bytes, so it returns a reason and never throws.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { CborRaw, type CborMapKey, type CborValue } from '../../agent/encoding/cbor-value.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { coseKeyThumbprint } from '../../agent/encoding/cose-key.ts';
import { HDR_KCWT, HDR_PARENT_CREDS, TYP_CRED, TYP_OBS, decodeSign1, encodeSign1, objectHash, protectedHeader, sigStructure } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM, GENESIS_PREV, ObservationChain, type ObservationDraft } from '../../agent/lineage/observation.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from './authority-fixture.ts';
import { Prng } from '../support/prng.ts';

let authority: Chain;
let good: Uint8Array;
let verifier: ObservationVerifier;

const draft: ObservationDraft = { kind: 'envelope', place: PLACE, t: NOW * 1000, tq: { src: 'gnss', sync: true, errMs: 1 }, body: { door: 'open' } };

beforeAll(async () => {
  authority = await makeChain();
  verifier = new ObservationVerifier([authority.anchor]);
  const chain = new ObservationChain(authority.leaf.signer, identityOf(authority), { seq: 0, hash: GENESIS_PREV, epoch: 2n });
  good = (await chain.append(draft)).bytes;
});

/** Re-signs `good` after editing its claims, headers or credential, as an attacker holding `signer` could. */
async function variant(opts: {
  claims?: (m: Map<CborMapKey, CborValue>) => void;
  typ?: string;
  signer?: SoftwareSigner;
  kidOf?: SoftwareSigner;
  unprotected?: (u: Map<CborMapKey, CborValue>) => void;
}): Promise<Uint8Array> {
  const s = decodeSign1(good);
  const m = decodeCbor(s.payload) as Map<CborMapKey, CborValue>;
  opts.claims?.(m);
  const payload = encodeDeterministic(m);
  const signer = opts.signer ?? authority.leaf.signer;
  const p = protectedHeader(coseKeyThumbprint(await (opts.kidOf ?? signer).publicKey()), opts.typ ?? TYP_OBS);
  const u = new Map(s.unprotected);
  opts.unprotected?.(u);
  return encodeSign1({ protectedBytes: p, unprotected: u, payload, signature: await signer.sign(sigStructure(p, payload)) });
}

function codeOf(bytes: Uint8Array): string {
  const r = verifier.check(bytes);
  return r.ok ? 'OK' : r.code;
}

describe('ObservationVerifier', () => {
  it('accepts the observation as signed, and a re-signed unchanged copy', async () => {
    expect(codeOf(good)).toBe('OK');
    expect(codeOf(await variant({}))).toBe('OK');
  });

  it('refuses a credential typ in place of an observation typ', async () => {
    expect(codeOf(await variant({ typ: TYP_CRED }))).toBe('OBS_WRONG_TYPE');
  });

  it('refuses an observation without its leaf credential, or with another one than its cred claim names', async () => {
    expect(codeOf(await variant({ unprotected: (u) => u.delete(HDR_KCWT) }))).toBe('OBS_NO_CREDENTIAL');
    const other = await makeChain();
    expect(codeOf(await variant({ unprotected: (u) => u.set(HDR_KCWT, new CborRaw(other.leaf.bytes)) }))).toBe('OBS_CRED_MISMATCH');
    expect(codeOf(await variant({ unprotected: (u) => u.set(HDR_PARENT_CREDS, [new Uint8Array(3)]) }))).toBe('COSE_KCWT_NOT_INLINE');
    expect(codeOf(await variant({ unprotected: (u) => u.set(HDR_PARENT_CREDS, 'root') }))).toBe('COSE_KCWT_NOT_INLINE');
    // The first draft's form, the credential wrapped in a byte string, is refused (RFC 9528 types kcwt as COSE_Messages).
    expect(codeOf(await variant({ unprotected: (u) => u.set(HDR_KCWT, authority.leaf.bytes) }))).toBe('COSE_KCWT_NOT_INLINE');
  });

  it("refuses a credential from another authority even when the cred claim matches it (chain to the anchor)", async () => {
    const other = await makeChain();
    const forged = await variant({
      signer: other.leaf.signer,
      claims: (m) => m.set(CLAIM.cred, objectHash(other.leaf.bytes)),
      unprotected: (u) => {
        u.set(HDR_KCWT, new CborRaw(other.leaf.bytes));
        u.set(HDR_PARENT_CREDS, other.parents.map((p) => new CborRaw(p)));
      },
    });
    expect(codeOf(forged)).toBe('CHAIN_UNKNOWN_ANCHOR');
  });

  it('refuses an unprotected header label outside 13, -65601 and 396, since those bytes are not signed', async () => {
    for (const label of [1, 4, 33, -65602, 'note']) {
      expect(codeOf(await variant({ unprotected: (u) => u.set(label, new Uint8Array(2)) })), `label ${label}`).toBe('COSE_UNPROTECTED_LABEL');
    }
  });

  it("refuses an iss that is not the credential's subject", async () => {
    expect(codeOf(await variant({ claims: (m) => m.set(CLAIM.iss, 'urn:place-agent:someone-else') }))).toBe('OBS_ISS_MISMATCH');
  });

  it("refuses a kid that is not the credential key's thumbprint, and a signature by another key", async () => {
    const intruder = SoftwareSigner.generate();
    expect(codeOf(await variant({ signer: intruder }))).toBe('OBS_KID_MISMATCH');
    expect(codeOf(await variant({ signer: intruder, kidOf: authority.leaf.signer }))).toBe('OBS_BAD_SIGNATURE');
  });

  it('refuses the high-S twin of a valid signature (the wire contract is low-S only)', () => {
    const s = decodeSign1(good);
    const n = p256.Point.CURVE().n;
    const sv = BigInt('0x' + Buffer.from(s.signature.subarray(32)).toString('hex'));
    const high = Uint8Array.from(Buffer.from((n - sv).toString(16).padStart(64, '0'), 'hex'));
    const sig = Uint8Array.from([...s.signature.subarray(0, 32), ...high]);
    expect(codeOf(encodeSign1({ protectedBytes: s.protectedBytes, unprotected: s.unprotected, payload: s.payload, signature: sig }))).toBe('OBS_HIGH_S');
  });

  it('refuses a place or kind outside the credential scope', async () => {
    const narrow = await makeChain([{}, { scope: { places: [PLACE], kinds: ['envelope'], units: ['*'], maxWindowMs: 1, maxGraceMs: 0, maxToleranceM: 0 } }]);
    const v = new ObservationVerifier([narrow.anchor]);
    const chain = new ObservationChain(narrow.leaf.signer, identityOf(narrow), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
    expect(v.check((await chain.append(draft)).bytes).ok).toBe(true);
    const r = v.check((await chain.append({ ...draft, kind: 'presence' })).bytes);
    expect(r.ok ? 'OK' : r.code).toBe('CHAIN_OUT_OF_SCOPE');
  });

  it.each([
    ['seq 0', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.seq, 0)],
    ['fractional seq', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.seq, 1.5)],
    ['fractional epoch', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.epoch, 2.5)],
    ['negative epoch', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.epoch, -1)],
    ['fractional t', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.t, NOW * 1000 + 0.5)],
    ['prev of 31 bytes', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.prev, new Uint8Array(31))],
    ['missing kind', (m: Map<CborMapKey, CborValue>) => m.delete(CLAIM.kind)],
    ['body not a map', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.body, 'open')],
    ['nonce as text', (m: Map<CborMapKey, CborValue>) => m.set(CLAIM.nonce, 'abc')],
  ])('refuses claims of the wrong shape (%s) with OBS_MALFORMED, without throwing', async (_what, edit) => {
    const bytes = await variant({ claims: edit });
    expect(() => verifier.check(bytes)).not.toThrow();
    expect(codeOf(bytes)).toBe('OBS_MALFORMED');
  });

  it('returns a reason, never an exception, for 3,000 random and truncated inputs', () => {
    const r = new Prng(0x0b5);
    for (let i = 0; i < 3000; i++) {
      const input = i % 2 ? r.bytes(r.int(64)) : good.subarray(0, r.int(good.length));
      const res = verifier.check(input);
      expect(res.ok).toBe(false);
    }
  });
});

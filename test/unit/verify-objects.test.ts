/**
 * `place-agent verify --file` on an input holding every typ of the wire contract (issue 11,
 * item 7): one line per object with a stable code, acceptances judged against their grant and
 * settlements' references resolved when those are in the same input; the tamper matrix for the
 * new typs (a flipped byte in payload, signature, protected header or carried credential, an
 * unknown unprotected label, a wrong-level signer, a unit accepting for a unit outside its
 * scope, a cut file), each exiting 1 with its code; and `--revocations`: what was signed after a
 * revocation, revoked grants, a lower list of the same issuer ignored.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand } from '../../agent/cli/args.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { coseKeyFromPublic } from '../../agent/encoding/cose-key.ts';
import { decodeSign1, encodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation-types.ts';
import { signAcceptance } from '../../agent/authority/acceptance.ts';
import { signSettlement } from '../../agent/authority/settlement.ts';
import { issueRevocationList } from '../../agent/authority/revocation.ts';
import { ObservationChain, GENESIS_PREV } from '../../agent/lineage/observation.ts';
import { verifyInput } from '../../agent/verify/index.ts';
import { identityOf } from './authority-fixture.ts';
import { PLACE } from './authority-fixture.ts';
import { T, UNIT_URN, SETTLER_URN, h, makeSite, revocationBy, settlementBody, underRoot, type Site } from './site-fixture.ts';

let dir: string;
let anchorFile: string;
let site: Site;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-verify-objects-'));
  site = await makeSite();
  anchorFile = join(dir, 'anchor.cose');
  writeFileSync(anchorFile, encodeDeterministic(coseKeyFromPublic(site.chain.anchor.publicKey)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let out = '';
let err = '';
/** `place-agent verify --anchor A --file <items> [...extra]` in this process. */
async function verify(items: Uint8Array[], extra: string[] = [], raw?: Buffer): Promise<number> {
  const f = join(dir, `in-${Math.random().toString(36).slice(2)}.cbor`);
  writeFileSync(f, raw ?? Buffer.concat(items));
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const spec = COMMANDS.find((c) => c.name === 'verify')!;
  try {
    return await (await spec.load())(parseCommand(spec, ['--anchor', anchorFile, '--file', f, ...extra]));
  } finally {
    vi.restoreAllMocks();
  }
}
function file(name: string, bytes: Uint8Array[]): string {
  const f = join(dir, name);
  writeFileSync(f, Buffer.concat(bytes));
  return f;
}

/** The whole reservation: grant, acceptance, the gateway's chain, the settlement, a list, the unit's credential alone. */
const all = (): Uint8Array[] => [site.grant, site.acceptance, ...site.observations.map((o) => o.bytes), site.settlement, site.revocation, site.unit.credential];

describe('verify on every typ', () => {
  it('reports each object with its OK code, the acceptance against its grant and the settlement with every reference resolved, and exits 0', async () => {
    expect(await verify(all())).toBe(0);
    expect(out).toMatch(/^item 0: grant R-1 h=[0-9a-f]{16} by urn:authority:grantor: GRANT_OK$/m);
    expect(out).toMatch(new RegExp(`^item 1: acceptance R-1 by ${UNIT_URN} for mmsi:211331640 h=[0-9a-f]{16}, against grant h=[0-9a-f]{16} in this input: ACCEPT_OK$`, 'm'));
    expect(out).toMatch(new RegExp(`^item 5: settlement R-1 settled by ${SETTLER_URN} h=[0-9a-f]{16}, references: 3 resolved, 0 not in this input: SETTLE_OK$`, 'm'));
    expect(out).toMatch(/^item 6: revocation list seq 1 by urn:authority:0 \(1 credential\(s\), 0 grant\(s\)\): REVOCATION_OK$/m);
    expect(out).toMatch(new RegExp(`^item 7: credential ${UNIT_URN} level unit h=[0-9a-f]{16}: CRED_OK$`, 'm'));
    expect(err).toMatch(/^3 observation\(s\), 0 duplicate\(s\), 0 failure\(s\), 5 other object\(s\)/m);
  });

  it('the library gives the same verdicts as structured values', () => {
    const r = verifyInput(all(), [site.chain.anchor]);
    expect(r.verdicts.map((v) => [v.item, v.typ, v.code])).toEqual([
      [0, 'grant', 'GRANT_OK'],
      [1, 'acceptance', 'ACCEPT_OK'],
      [5, 'settlement', 'SETTLE_OK'],
      [6, 'revocation', 'REVOCATION_OK'],
      [7, 'credential', 'CRED_OK'],
    ]);
    expect(r.failures).toEqual([]);
    expect(r.observations).toBe(3);
  });

  it('an acceptance or settlement whose grant is not in the input is checked on its own and says so', async () => {
    expect(await verify([site.acceptance, site.settlement])).toBe(0);
    expect(out).toMatch(/item 0: acceptance R-1 .* grant h=[0-9a-f]{16} not in this input: ACCEPT_OK/);
    expect(out).toMatch(/item 1: settlement R-1 settled .* references: 1 resolved, 2 not in this input: SETTLE_OK/); // the acceptance is here
  });

  it('a credential whose parent is nowhere in the input is a failure, not a pass', async () => {
    const other = await underRoot(site.chain, 'unit', UNIT_URN, { kinds: ['acceptance'], units: ['mmsi:1'] });
    const { makeChain } = await import('./authority-fixture.ts');
    const lone = await makeChain([{}, { level: 'authority', depth: 0, subject: 'urn:authority:x' }]);
    expect(await verify([other.credential])).toBe(1); // its root is not in the input
    expect(out).toMatch(/^item 0: credential: CRED_PARENT_UNKNOWN:/m);
    expect(await verify([lone.links[1]!.bytes, lone.links[0]!.bytes])).toBe(1); // under another anchor
    expect(out).toMatch(/^item 0: credential: CHAIN_UNKNOWN_ANCHOR/m);
  });
});

const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at] = c[at]! ^ 0x01;
  return c;
};
type Tamper = (b: Uint8Array) => Uint8Array;
const parts = (b: Uint8Array) => decodeSign1(b);
const rebuild = (b: Uint8Array, p: Partial<ReturnType<typeof decodeSign1>>) => {
  const s = parts(b);
  return encodeSign1({ protectedBytes: s.protectedBytes, unprotected: s.unprotected, payload: s.payload, signature: s.signature, ...p });
};
const TAMPERS: [string, Tamper][] = [
  // The payload's last byte is inside a text or byte string value: still well-formed CBOR.
  ['a flipped byte in the payload', (b) => rebuild(b, { payload: flip(parts(b).payload, parts(b).payload.length - 1) })],
  ['a flipped byte in r of the signature', (b) => rebuild(b, { signature: flip(parts(b).signature, 10) })],
  ["a flipped byte in the protected header's kid", (b) => rebuild(b, { protectedBytes: flip(parts(b).protectedBytes, 37) })],
];

describe('tamper matrix through verify, for acceptances, settlements, revocation lists and credentials', () => {
  const cases = (): [string, () => Uint8Array, string, string[]][] => [
    ['acceptance', () => site.acceptance, 'acceptance', ['ACCEPT_BAD_SIGNATURE', 'ACCEPT_BAD_SIGNATURE', 'ACCEPT_KID_MISMATCH']],
    ['settlement', () => site.settlement, 'settlement', ['SETTLE_BAD_SIGNATURE', 'SETTLE_BAD_SIGNATURE', 'SETTLE_KID_MISMATCH']],
    ['revocation list', () => site.revocation, 'revocation', ['REVOCATION_BAD_SIGNATURE', 'REVOCATION_BAD_SIGNATURE', 'REVOCATION_KID_MISMATCH']],
    // A credential's last payload value is its level ("unit" becomes "unis"): the chain verifier reads levels before signatures.
    ['credential', () => site.unit.credential, 'credential', ['CHAIN_BAD_LEVEL', 'CHAIN_BAD_SIGNATURE', 'CHAIN_KID_MISMATCH']],
  ];

  it('each flipped byte exits 1 with the typ and the code on the object\'s line', async () => {
    const seen: string[] = [];
    for (const [name, make, typ, codes] of cases()) {
      for (let k = 0; k < TAMPERS.length; k++) {
        const [what, tamper] = TAMPERS[k]!;
        // The root credential rides along so a credential alone can find its parent.
        const code = await verify([site.grant, tamper(make()), site.root.credential]);
        seen.push(`${name}, ${what}: exit ${code}, ${out.match(new RegExp(`^item 1: ${typ}: ([A-Z_]+)`, 'm'))?.[1] ?? out}`);
      }
    }
    expect(seen).toEqual(
      cases().flatMap(([name, , , codes]) => TAMPERS.map(([what], k) => `${name}, ${what}: exit 1, ${codes[k]}`)),
    );
  });

  it('a flipped byte in the carried credential fails its chain (CHAIN_BAD_SIGNATURE) for each typ that carries one', async () => {
    for (const make of [() => site.acceptance, () => site.settlement, () => site.revocation]) {
      const b = make();
      const leaf = decodeSign1(b).unprotected.get(13) as { encoded: Uint8Array };
      const at = Buffer.from(b).indexOf(Buffer.from(leaf.encoded)) + leaf.encoded.length - 20; // inside the credential's signature
      expect(await verify([flip(b, at)])).toBe(1);
      expect(out).toMatch(/^item 0: \w+: CHAIN_BAD_SIGNATURE/m);
    }
  });

  it('an unprotected label added by a relay is refused for every typ', async () => {
    for (const b of [site.acceptance, site.settlement, site.revocation, site.unit.credential, site.grant]) {
      const u = new Map(parts(b).unprotected);
      u.set(33, new Uint8Array(4));
      expect(await verify([rebuild(b, { unprotected: u })])).toBe(1);
      expect(out).toMatch(/^item 0: (\w+: )?COSE_UNPROTECTED_LABEL/m);
    }
  });

  it('a file cut inside an acceptance, a settlement or a revocation list exits 1 with SEQUENCE_MALFORMED', async () => {
    for (const b of [site.acceptance, site.settlement, site.revocation]) {
      const whole = Buffer.concat([site.grant, b]);
      expect(await verify([], [], whole.subarray(0, whole.length - 9))).toBe(1);
      expect(out).toMatch(/^item 1: SEQUENCE_MALFORMED/m);
      expect(err).toMatch(/cut or damaged after item 0/);
    }
  });

  it('refuses wrong-level signers: a gateway-signed acceptance and settlement, a unit-signed revocation list', async () => {
    const gw = site.gateway;
    const gAcc = await signAcceptance({ iss: gw.sub, grant: site.grantClaims, tMs: T + 1_000 }, gw.signer, gw.credential, gw.parents);
    const gSet = await signSettlement({ iss: gw.sub, place: PLACE, nowMs: T + 700_000, body: settlementBody({ grant: site.grantClaims.hash, attestations: [] }) }, gw.signer, gw.credential, gw.parents);
    const uRev = await issueRevocationList({ issuer: UNIT_URN, seq: 1, revoked: [], grants: [], nextMs: T, nowMs: T }, site.unit.signer, site.unit.credential, site.unit.parents);
    expect(await verify([site.grant, gAcc, gSet, uRev])).toBe(1);
    expect(out).toMatch(/^item 1: acceptance: CHAIN_LEVEL_MAY_NOT_SIGN/m);
    expect(out).toMatch(/^item 2: settlement: CHAIN_LEVEL_MAY_NOT_SIGN/m);
    expect(out).toMatch(/^item 3: revocation: CHAIN_LEVEL_MAY_NOT_SIGN/m);
  });

  it('refuses a unit accepting for a unit outside its scope, and an acceptance that does not answer the grant in the input', async () => {
    const other = await underRoot(site.chain, 'unit', 'urn:unit:mmsi:244660000', { kinds: ['acceptance'], units: ['mmsi:244660000'] });
    const outside = await signAcceptance({ iss: other.sub, grant: site.grantClaims, tMs: T + 1_000 }, other.signer, other.credential, other.parents);
    const wrongNonce = await signAcceptance({ iss: UNIT_URN, grant: site.grantClaims, tMs: T + 1_000, extra: new Map([[CLAIM.nonce, new Uint8Array(16)]]) }, site.unit.signer, site.unit.credential, site.unit.parents);
    const late = await signAcceptance({ iss: UNIT_URN, grant: site.grantClaims, tMs: T + 3_600_000 }, site.unit.signer, site.unit.credential, site.unit.parents);
    expect(await verify([site.grant, outside, wrongNonce, late])).toBe(1);
    expect(out).toMatch(/^item 1: acceptance: ACCEPT_UNIT_OUT_OF_SCOPE/m);
    expect(out).toMatch(/^item 2: acceptance: ACCEPT_NONCE_MISMATCH/m);
    expect(out).toMatch(/^item 3: acceptance: ACCEPT_OUTSIDE_WINDOW/m);
  });

  it('refuses a settlement whose references do not resolve in the input, or that settles with a failed check', async () => {
    const s = site.settler;
    const sign = (body: ReturnType<typeof settlementBody>) => signSettlement({ iss: s.sub, place: PLACE, nowMs: T + 700_000, body }, s.signer, s.credential, s.parents);
    const otherAcceptance = await signAcceptance({ iss: UNIT_URN, grant: site.grantClaims, tMs: T + 2_000 }, site.unit.signer, site.unit.credential, site.unit.parents);
    const namesOther = await sign(settlementBody({ grant: site.grantClaims.hash, acceptance: h(otherAcceptance), attestations: [site.presence.hash] }));
    const grantIsObs = await sign(settlementBody({ grant: site.observations[0]!.hash, attestations: [] }));
    const inconsistent = await sign(
      settlementBody({ grant: site.grantClaims.hash, attestations: [site.presence.hash] }, { checks: { ...settlementBody({ grant: site.grantClaims.hash, attestations: [] }).checks, spatial: { ok: false, measured: 900, required: 50, reason: 'too far' } } }),
    );
    expect(await verify([site.grant, site.acceptance, ...site.observations.map((o) => o.bytes), namesOther, grantIsObs, inconsistent])).toBe(1);
    expect(out).toMatch(/^item 5: settlement: SETTLE_UNRESOLVED: acceptance [0-9a-f]{16}… is not in the input/m);
    expect(out).toMatch(/^item 6: settlement: SETTLE_REFERENCE_MISMATCH: grant [0-9a-f]{16}… names an object of another kind/m);
    expect(out).toMatch(/^item 7: settlement: SETTLE_INCONSISTENT: outcome settled while check\(s\) spatial failed/m);
  });

  it('refuses an object over 16 KiB before decoding it', async () => {
    const big = await signAcceptance({ iss: UNIT_URN, grant: site.grantClaims, tMs: T + 1_000, extra: new Map([[-70000, new Uint8Array(17_000)]]) }, site.unit.signer, site.unit.credential, site.unit.parents);
    expect(await verify([big])).toBe(1);
    expect(out).toMatch(/^item 0: COSE_TOO_LARGE/m);
  });
});

describe('verify --revocations', () => {
  /** The gateway's chain with observations 1 s apart from T. */
  async function chainOf(n: number): Promise<Uint8Array[]> {
    const oc = new ObservationChain(site.gateway.signer, identityOf(site.chain), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push((await oc.append({ kind: 'envelope', place: PLACE, t: T + i * 1000, tq: { src: 'ntp', sync: true, errMs: 5 }, body: { i } })).bytes);
    return out;
  }

  it('reports every observation signed at or after its credential was revoked, and none before', async () => {
    const list = await revocationBy(site, { revoked: [h(site.gateway.credential)], nowMs: T + 2_500 }); // iat T + 2 s
    const obs = await chainOf(4);
    expect(await verify(obs, ['--revocations', file('rev1.cose', [list])])).toBe(1);
    expect(out).toMatch(/^seq 3: REVOKED_SIGNER: observation seq 3 signed at .*, after link 0 of its chain/m);
    expect(out).toMatch(/^seq 4: REVOKED_SIGNER/m);
    expect(out).not.toMatch(/^seq [12]: REVOKED_SIGNER/m);
    expect(out).toMatch(/rev1\.cose: revocation list seq 1 .*: REVOCATION_OK/);
  });

  it('a revoked parent (the grantor authority) counts for everything below it; lists in the input count too', async () => {
    const list = await revocationBy(site, { revoked: [h(site.grantor.credential)], nowMs: T + 1_500 });
    const obs = await chainOf(3);
    expect(await verify([site.grant, ...obs, list])).toBe(1);
    expect(out).toMatch(/^seq 2: REVOKED_SIGNER: .*after link 1 of its chain/m);
    expect(out).toMatch(/^seq 3: REVOKED_SIGNER/m);
    // The grant was signed before the list.
    expect(out).not.toMatch(/^item 0: REVOKED_SIGNER/m);
  });

  it('reports a grant whose cti is listed', async () => {
    const list = await revocationBy(site, { grants: [site.grantClaims.cti] });
    expect(await verify([site.grant, site.acceptance], ['--revocations', file('rev2.cose', [list])])).toBe(1);
    expect(out).toMatch(/^item 0: REVOKED_GRANT: grant R-1 \(cti [0-9a-f]{32}\) is revoked by urn:authority:0 \(list seq 1\)/m);
  });

  it('ignores a lower seq list of the same issuer: what the list in force no longer holds is not revoked', async () => {
    const old = await revocationBy(site, { seq: 1, revoked: [h(site.gateway.credential)], nowMs: T });
    const current = await revocationBy(site, { seq: 2, revoked: [new Uint8Array(32).fill(9)], nowMs: T + 500 });
    expect(await verify(await chainOf(3), ['--revocations', file('rev3.cose', [current, old])])).toBe(0);
    expect(out).toMatch(/rev3\.cose item 1: revocation list seq 1 .*: REVOCATION_SUPERSEDED: seq 2 of the same issuer is in force/);
    expect(out).not.toMatch(/REVOKED_SIGNER/);
  });

  it('dates an entry from the earliest list of the issuer that held it, when the list in force still holds it', async () => {
    const first = await revocationBy(site, { seq: 1, revoked: [h(site.gateway.credential)], nowMs: T + 1_500 });
    const second = await revocationBy(site, { seq: 2, revoked: [h(site.gateway.credential)], nowMs: T + 10_000 });
    expect(await verify(await chainOf(3), ['--revocations', file('rev4a.cose', [second]), '--revocations', file('rev4b.cose', [first])])).toBe(1);
    expect(out).toMatch(/^seq 2: REVOKED_SIGNER: .*list seq 2, in force from .*T\d\d:\d\d:\d1\.000Z/m);
  });

  it("the gateway's own credential-revoked announcement after the list is reported as such, not as a failure; any other object after it is", async () => {
    const list = await revocationBy(site, { revoked: [h(site.gateway.credential)], nowMs: T + 1_500 });
    const announce = async (revoked: Uint8Array) => {
      const oc = new ObservationChain(site.gateway.signer, identityOf(site.chain), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
      const tq = { src: 'ntp' as const, sync: true, errMs: 5 };
      const a = await oc.append({ kind: 'envelope', place: PLACE, t: T, tq, body: { i: 0 } });
      const b = await oc.append({ kind: 'status', place: PLACE, t: T + 3_000, tq, body: { event: 'credential-revoked', reason: 'CREDENTIAL_REVOKED', credential: h(site.gateway.credential), revoked, link: 0 } });
      return [a.bytes, b.bytes];
    };
    expect(await verify([...(await announce(h(site.gateway.credential))), list])).toBe(0);
    expect(out).toMatch(/^seq 2: observation seq 2 says its credential is revoked, as it must after link 0 .*: REVOKED_ANNOUNCED$/m);
    expect(await verify([...(await announce(new Uint8Array(32))), list])).toBe(1);
    expect(out).toMatch(/^seq 2: REVOKED_SIGNER/m);
  });

  it('two different lists with one seq from one issuer are a failure, and the entries of both count', async () => {
    const a = await revocationBy(site, { seq: 3, revoked: [h(site.gateway.credential)], nowMs: T + 1_500 });
    const b = await revocationBy(site, { seq: 3, revoked: [], nowMs: T + 1_500 });
    expect(await verify(await chainOf(3), ['--revocations', file('rev5.cose', [b, a])])).toBe(1);
    expect(out).toMatch(/REVOCATION_SEQ_CONFLICT: urn:authority:0 signed 2 different lists with seq 3/);
    expect(out).toMatch(/^seq 2: REVOKED_SIGNER/m);
  });

  it('a revocation file cut in the middle is a failure of its own', async () => {
    const list = await revocationBy(site, { revoked: [] });
    const f = join(dir, 'cut.cose');
    writeFileSync(f, list.subarray(0, list.length - 4));
    expect(await verify(await chainOf(1), ['--revocations', f])).toBe(1);
    expect(out).toMatch(/cut\.cose item 0: SEQUENCE_MALFORMED/);
  });
});

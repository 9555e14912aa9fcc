/**
 * Settlements (DESIGN.md, "Settlement") as a verifier sees them: a settler's artifact is
 * accepted with its body parsed; the wrong signer level, a settler whose scope leaves out the
 * kind or the place, a malformed body and a "settled" outcome with a failed check are refused
 * with their codes; references are resolved only against objects of the same input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSettlement, signSettlement, verifySettlement, type KnownObject } from '../../agent/authority/settlement.ts';
import { CLAIM } from '../../agent/lineage/observation-types.ts';
import type { CborMapKey, CborValue } from '../../agent/encoding/cbor-value.ts';
import { PLACE } from './authority-fixture.ts';
import { SETTLER_URN, T, makeSite, settlementBody, underRoot, type Holder, type Site } from './site-fixture.ts';

let site: Site;
beforeAll(async () => {
  site = await makeSite();
});

const body = () => settlementBody({ grant: site.grantClaims.hash, attestations: [site.presence.hash] });
const sign = (who: Holder, over: { body?: ReturnType<typeof settlementBody>; extra?: Map<CborMapKey, CborValue>; iss?: string } = {}) =>
  signSettlement({ iss: over.iss ?? who.sub, place: PLACE, nowMs: T + 700_000, body: over.body ?? body(), ...(over.extra ? { extra: over.extra } : {}) }, who.signer, who.credential, who.parents);
const verdict = async (b: Uint8Array | Promise<Uint8Array>, opts = {}) => {
  const r = verifySettlement(await b, [site.chain.anchor], T + 700_000, opts);
  return r.ok ? 'OK' : r.code;
};

describe('verifySettlement', () => {
  it('accepts a settler\'s settlement and gives its body, with an N-party form', async () => {
    const parties = [
      { role: 'gateway', h: site.presence.hash, weight: 1 },
      { role: 'unit', h: site.grantClaims.hash, weight: 0.5 },
    ];
    const r = verifySettlement(await sign(site.settler, { body: { ...body(), parties, policy: new Map<CborMapKey, CborValue>([['name', 'k-of-n'], ['k', 1]]) } }), [site.chain.anchor], T + 700_000);
    if (!r.ok) return expect.fail(`${r.code}: ${r.reason}`);
    expect(r.settlement).toMatchObject({ iss: SETTLER_URN, reservation: 'R-1', outcome: 'settled', place: PLACE, parties });
    expect(r.settlement.checks.spatial).toEqual({ ok: true, measured: 12, required: 50 });
    expect(r.settlement.signer.level).toBe('settler');
  });

  it.each([
    ['an outcome other than settled or refused', { body: { ...settlementBody({ grant: new Uint8Array(32), attestations: [] }), outcome: 'maybe' as 'settled' } }, 'SETTLE_MALFORMED'],
    ['a grant reference of 8 bytes', { body: settlementBody({ grant: new Uint8Array(8), attestations: [] }) }, 'SETTLE_MALFORMED'],
    ['kind acceptance', { extra: new Map<CborMapKey, CborValue>([[CLAIM.kind, 'acceptance']]) }, 'SETTLE_MALFORMED'],
    ['an iss that is not the settler', { iss: 'urn:settler:other' }, 'SETTLE_ISS_MISMATCH'],
  ])('refuses %s', async (_what, over, code) => {
    expect(await verdict(sign(site.settler, over))).toBe(code);
  });

  it('refuses "settled" with a failed check, and accepts "refused" with one', async () => {
    const failed = { ...body().checks, temporal: { ok: false, measured: 900_000, required: 660_000, reason: 'late' } };
    expect(await verdict(sign(site.settler, { body: { ...body(), checks: failed } }))).toBe('SETTLE_INCONSISTENT');
    expect(await verdict(sign(site.settler, { body: { ...body(), outcome: 'refused', checks: failed } }))).toBe('OK');
  });

  it('refuses a unit, a gateway or an authority as signer, a settler scoped to other kinds, and another place when one is expected', async () => {
    expect(await verdict(sign(site.unit))).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
    expect(await verdict(sign(site.gateway))).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
    expect(await verdict(sign(site.grantor))).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
    const narrow = await underRoot(site.chain, 'settler', SETTLER_URN, { kinds: ['presence'] });
    expect(await verdict(sign(narrow))).toBe('CHAIN_OUT_OF_SCOPE');
    expect(await verdict(sign(site.settler), { expectPlace: 'urn:place:DEHAM:berth:43' })).toBe('SETTLE_WRONG_PLACE');
  });

  it('refuses an object over 16 KiB before decoding it', async () => {
    expect(await verdict(sign(site.settler, { extra: new Map<CborMapKey, CborValue>([[-70000, new Uint8Array(17_000)]]) }))).toBe('COSE_TOO_LARGE');
  });
});

describe('resolveSettlement', () => {
  const hx = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const st = () => ({ reservation: 'R-1', place: PLACE, grant: site.grantClaims.hash, attestations: [site.presence.hash] });
  const grant: KnownObject = { role: 'grant', place: PLACE, reservation: 'R-1', grant: new Uint8Array(0) };

  it('counts references to objects the input does not hold as absent, not as failures', () => {
    expect(resolveSettlement(st(), new Map())).toEqual({ resolved: 0, absent: 2, problems: [] });
  });

  it('resolves a grant and an attestation of the reservation, and refuses an attestation of another grant', () => {
    const known = new Map<string, KnownObject>([
      [hx(site.grantClaims.hash), { ...grant, grant: site.grantClaims.hash }],
      [hx(site.presence.hash), { role: 'attestation', place: PLACE, reservation: 'R-1', grant: site.grantClaims.hash }],
    ]);
    expect(resolveSettlement(st(), known)).toEqual({ resolved: 2, absent: 0, problems: [] });
    known.set(hx(site.presence.hash), { role: 'attestation', place: PLACE, reservation: 'R-1', grant: new Uint8Array(32) });
    expect(resolveSettlement(st(), known).problems.map((p) => p.code)).toEqual(['SETTLE_REFERENCE_MISMATCH']);
  });

  it('an unknown grant while the input holds another grant of the reservation is unresolved', () => {
    const known = new Map<string, KnownObject>([['00'.repeat(32), { ...grant, grant: new Uint8Array(32) }]]);
    expect(resolveSettlement(st(), known).problems.map((p) => p.code)).toEqual(['SETTLE_UNRESOLVED']);
  });
});

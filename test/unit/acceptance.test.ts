/**
 * A unit's acceptance of a grant (DESIGN.md, "Acceptance"): what a gateway or a settler gets
 * from verifyAcceptance for an honest acceptance, and the code it refuses each forgery or
 * mismatch with: another grant's nonce or hash, another reservation, unit or place, a time
 * outside the window, a unit outside the credential's `units`, a gateway or an authority as
 * signer, tampered bytes, an unknown unprotected label, an object over 16 KiB.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCredential } from '../../agent/authority/credential.ts';
import { issueGrant, verifyGrant, type ReservationGrant } from '../../agent/authority/grant.ts';
import { signAcceptance, verifyAcceptance, type AcceptanceRequest } from '../../agent/authority/acceptance.ts';
import { scopeExcess, unitMatches } from '../../agent/authority/scope.ts';
import { decodeSign1, encodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { sha256 } from '../../agent/encoding/cose-key.ts';
import type { CborMapKey, CborValue } from '../../agent/encoding/cbor-value.ts';
import { CLAIM } from '../../agent/lineage/observation-types.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { DAY, NOW, PLACE, WIDE, makeChain, type Chain } from './authority-fixture.ts';

const T = NOW * 1000;
const HOUR = 3_600_000;
const UNIT_URN = 'urn:unit:mmsi:211331640';
let grantor: Chain; // root -> authority
let gatewayChain: Chain; // root -> authority -> gateway, same anchor
let grant: ReservationGrant;
let otherGrant: ReservationGrant;
let unit: { signer: SoftwareSigner; credential: Uint8Array; parents: Uint8Array[] };
let fleet: { signer: SoftwareSigner; credential: Uint8Array; parents: Uint8Array[] }; // units: mmsi (any vessel)
let narrow: { signer: SoftwareSigner; credential: Uint8Array; parents: Uint8Array[] }; // units: another vessel only

/** A `unit` credential under the grantor chain's root. */
async function unitCredential(units: string[], kinds = ['acceptance'], subject = UNIT_URN) {
  const signer = SoftwareSigner.generate();
  const root = grantor.links[0]!;
  const credential = await issueCredential(
    { issuer: 'urn:authority:root', subject, subjectKey: await signer.publicKey(), scope: { ...WIDE, kinds, units }, notBefore: NOW - DAY, notAfter: NOW + 30 * DAY, now: NOW, depth: 0, level: 'unit', parentBytes: root.bytes },
    grantor.anchorSigner,
  );
  return { signer, credential, parents: [root.bytes] };
}

async function grantFor(reservation: string): Promise<ReservationGrant> {
  const bytes = await issueGrant(
    { issuer: 'urn:authority:1', place: PLACE, reservation, unit: ['mmsi', '211331640'], window: [T + HOUR, T + 2 * HOUR], toleranceM: 50, graceMs: 10 * 60_000, nowMs: T },
    grantor.leaf.signer,
    grantor.leaf.bytes,
    grantor.parents,
  );
  const r = verifyGrant(bytes, [grantor.anchor], T, PLACE);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.grant;
}

beforeAll(async () => {
  grantor = await makeChain([{}, { level: 'authority', depth: 0, subject: 'urn:authority:1' }]);
  gatewayChain = await makeChain([{}, {}, {}]);
  grant = await grantFor('R-7');
  otherGrant = await grantFor('R-8');
  unit = await unitCredential(['mmsi:211331640']);
  fleet = await unitCredential(['mmsi']);
  narrow = await unitCredential(['mmsi:999999999']);
});

const req = (over: Partial<AcceptanceRequest> = {}): AcceptanceRequest => ({ iss: UNIT_URN, grant, tMs: T + HOUR + 60_000, ...over });
const sign = (over: Partial<AcceptanceRequest> = {}, who = unit) => signAcceptance(req(over), who.signer, who.credential, who.parents);
const verdict = async (bytes: Uint8Array | Promise<Uint8Array>, opts: Parameters<typeof verifyAcceptance>[2] = { grant }, anchors = [grantor.anchor]): Promise<string> => {
  const r = verifyAcceptance(await bytes, anchors, opts);
  return r.ok ? 'OK' : r.code;
};
const body = (over: Record<string, CborValue>): Map<CborMapKey, CborValue> =>
  new Map<CborMapKey, CborValue>([[CLAIM.body, { grant: grant.hash, reservation: grant.reservation, unit: ['mmsi', '211331640'], t_ms: T + HOUR + 60_000, ...over }]]);

describe('verifyAcceptance', () => {
  it('accepts the acceptance of its grant and names it by h() of its payload, with the unit position it carries', async () => {
    const bytes = await sign({ location: { lat: 53.54, lon: 9.98, accuracyM: 12.5, t: T + HOUR + 59_000 } });
    const r = verifyAcceptance(bytes, [grantor.anchor], { grant, nowMs: T + HOUR + 61_000 });
    if (!r.ok) return expect.fail(`${r.code}: ${r.reason}`);
    expect(Buffer.from(r.acceptance.hash).equals(Buffer.from(sha256(decodeSign1(bytes).payload)))).toBe(true);
    expect(r.acceptance).toMatchObject({ iss: UNIT_URN, reservation: 'R-7', unit: ['mmsi', '211331640'], tMs: T + HOUR + 60_000, place: PLACE });
    expect(r.acceptance.location).toEqual({ lat: 53.54, lon: 9.98, accuracyM: 12.5, t: T + HOUR + 59_000 });
    expect(r.acceptance.signer.level).toBe('unit');
  });

  it('accepts it without a grant too (structure, chain, signature, scope) and then says nothing about the grant', async () => {
    expect(await verdict(sign(), {})).toBe('OK');
    expect(await verdict(sign({ grant: otherGrant }), {})).toBe('OK');
  });

  it.each([
    ["another grant's nonce", () => sign({ extra: new Map([[CLAIM.nonce, otherGrant.nonce]]) }), 'ACCEPT_NONCE_MISMATCH'],
    ["another grant's hash", () => sign({ extra: body({ grant: otherGrant.hash }) }), 'ACCEPT_GRANT_MISMATCH'],
    ['the acceptance of another grant', () => sign({ grant: otherGrant }), 'ACCEPT_GRANT_MISMATCH'],
    ['another reservation id', () => sign({ extra: body({ reservation: 'R-8' }) }), 'ACCEPT_RESERVATION_MISMATCH'],
    ['another place', () => sign({ extra: new Map([[CLAIM.place, 'urn:place:DEHAM:berth:43']]) }), 'ACCEPT_WRONG_PLACE'],
    ['a time an hour before the window less grace', () => sign({ tMs: T }), 'ACCEPT_OUTSIDE_WINDOW'],
    ['a time after the window plus grace', () => sign({ tMs: T + 2 * HOUR + 10 * 60_000 + 1 }), 'ACCEPT_OUTSIDE_WINDOW'],
    ['an iss that is not the credential subject', () => sign({ iss: 'urn:unit:mmsi:1' }), 'ACCEPT_ISS_MISMATCH'],
    ['a body without t_ms', () => sign({ extra: new Map<CborMapKey, CborValue>([[CLAIM.body, { grant: grant.hash, reservation: 'R-7', unit: ['mmsi', '211331640'] }]]) }), 'ACCEPT_MALFORMED'],
    ['a location without accuracy', () => sign({ extra: new Map<CborMapKey, CborValue>([[CLAIM.location, new Map<CborMapKey, CborValue>([[1, 53.5], [2, 9.9]])]]) }), 'ACCEPT_MALFORMED'],
    ['kind grant', () => sign({ extra: new Map([[CLAIM.kind, 'grant']]) }), 'ACCEPT_MALFORMED'],
  ])('refuses %s', async (_what, make, code) => {
    expect(await verdict(make())).toBe(code);
  });

  it('refuses a unit the credential does not name, and another unit than the grant\'s from a credential that covers it', async () => {
    expect(await verdict(sign({}, narrow))).toBe('ACCEPT_UNIT_OUT_OF_SCOPE');
    const otherVessel = sign({ extra: body({ unit: ['mmsi', '244660000'] }) }, fleet);
    expect(await verdict(otherVessel, {})).toBe('OK');
    expect(await verdict(otherVessel)).toBe('ACCEPT_UNIT_MISMATCH');
  });

  it('refuses an acceptance dated ahead of the verifier clock by more than the skew', async () => {
    expect(await verdict(sign(), { grant, nowMs: T })).toBe('ACCEPT_FROM_THE_FUTURE');
  });

  it('refuses an acceptance signed by a gateway or an authority credential, whatever their scope says', async () => {
    const gw = { signer: gatewayChain.leaf.signer, credential: gatewayChain.leaf.bytes, parents: gatewayChain.parents };
    expect(await verdict(sign({ iss: 'urn:place-agent:01aabbccddeeff00112233445566778899' }, gw), { grant }, [gatewayChain.anchor])).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
    const auth = { signer: grantor.leaf.signer, credential: grantor.leaf.bytes, parents: grantor.parents };
    expect(await verdict(sign({ iss: 'urn:authority:1' }, auth))).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
  });

  it('refuses a unit credential whose kinds leave out acceptance, and one from an unknown authority', async () => {
    const noKind = await unitCredential(['mmsi:211331640'], ['presence']);
    expect(await verdict(sign({}, noKind))).toBe('CHAIN_OUT_OF_SCOPE');
    expect(await verdict(sign(), { grant }, [gatewayChain.anchor])).toBe('CHAIN_UNKNOWN_ANCHOR');
  });

  it('refuses tampered bytes: payload, signature, protected header, the carried credential', async () => {
    const good = await sign();
    const s = decodeSign1(good);
    const flip = (b: Uint8Array, at: number) => {
      const c = b.slice();
      c[at] = c[at]! ^ 0x01;
      return c;
    };
    const rebuilt = (p: Partial<typeof s>) => encodeSign1({ protectedBytes: s.protectedBytes, unprotected: s.unprotected, payload: s.payload, signature: s.signature, ...p });
    // A byte inside t_ms's value (the payload's last bytes) stays well-formed CBOR.
    expect(await verdict(rebuilt({ payload: flip(s.payload, s.payload.length - 1) }))).toBe('ACCEPT_BAD_SIGNATURE');
    expect(await verdict(rebuilt({ signature: flip(s.signature, 40) }))).toBe('ACCEPT_BAD_SIGNATURE');
    // The kid's last byte: the key named is no longer the credential's.
    expect(await verdict(rebuilt({ protectedBytes: flip(s.protectedBytes, 37) }))).toBe('ACCEPT_KID_MISMATCH');
    const credAt = Buffer.from(good).indexOf(Buffer.from(unit.credential)) + unit.credential.length - 10;
    expect(await verdict(flip(good, credAt))).toBe('CHAIN_BAD_SIGNATURE');
  });

  it('refuses an unknown unprotected label, a grant handed in as an acceptance, a cut object and one over 16 KiB before decoding it', async () => {
    const s = decodeSign1(await sign());
    const u = new Map(s.unprotected);
    u.set(33, new Uint8Array(4));
    expect(await verdict(encodeSign1({ ...s, unprotected: u }))).toBe('COSE_UNPROTECTED_LABEL');
    const g = await issueGrant(
      { issuer: 'urn:authority:1', place: PLACE, reservation: 'R-9', unit: ['mmsi', '1'], window: [T, T + HOUR], toleranceM: 5, graceMs: 0, nowMs: T },
      grantor.leaf.signer,
      grantor.leaf.bytes,
      grantor.parents,
    );
    expect(await verdict(g)).toBe('ACCEPT_WRONG_TYPE');
    const good = await sign();
    expect(await verdict(good.subarray(0, good.length - 5))).toBe('COSE_MALFORMED');
    expect(await verdict(sign({ extra: new Map([[-70000, new Uint8Array(17_000)]]) }))).toBe('COSE_TOO_LARGE');
  });
});

describe('units patterns of a scope', () => {
  it.each([
    ['*', true],
    ['mmsi', true],
    ['rfid', false],
    ['mmsi:211331640', true],
    ['mmsi:211331641', false],
    ['mmsi:2113*', true],
    ['mmsi:2114*', false],
    ['rfid:211331640', false],
  ])('%s covers mmsi:211331640: %s', (pattern, covers) => {
    expect(unitMatches(pattern, ['mmsi', '211331640'])).toBe(covers);
  });

  it('a child naming one vessel lies inside a parent naming the scheme or a prefix, not inside another vessel', () => {
    const s = (units: string[]) => ({ ...WIDE, units });
    expect(scopeExcess(s(['mmsi:211331640']), s(['mmsi']))).toBeUndefined();
    expect(scopeExcess(s(['mmsi:211331640']), s(['mmsi:2113*']))).toBeUndefined();
    expect(scopeExcess(s(['mmsi:2113*']), s(['mmsi:21*']))).toBeUndefined();
    expect(scopeExcess(s(['mmsi:211331640']), s(['mmsi:999']))).toMatch(/unit/);
    expect(scopeExcess(s(['mmsi']), s(['mmsi:2113*']))).toMatch(/unit/);
    expect(scopeExcess(s(['*']), s(['mmsi']))).toMatch(/unit/);
  });
});

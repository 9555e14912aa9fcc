/**
 * Reservation grants as a gateway receives them (DESIGN.md, "Reservation grant"): what the
 * verifier refuses (bounds from the grantor's scope, exp, a future iat, iss against the
 * credential, crit, the nonce, a gateway as grantor), and what the intake does with each grant
 * against a real store: keyed by cti (two grantors for one reservation id are both kept and
 * judged apart), a reused nonce refused, a replay ignored, and every grant answered on the
 * chain by a `reservation` observation naming h(grant).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueGrant, verifyGrant, type GrantRequest } from '../../agent/authority/grant.ts';
import { HDR_ALG, HDR_CRIT, HDR_KID, HDR_TYP, TYP_GRANT, decodeSign1, encodeSign1, sigStructure } from '../../agent/encoding/cose-sign1.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import type { CborMapKey, CborValue } from '../../agent/encoding/cbor-value.ts';
import { sha256 } from '../../agent/encoding/cose-key.ts';
import { ObservationStore } from '../../agent/store/store.ts';
import { GrantIntake, MAX_INBOUND_BYTES } from '../../agent/runtime/grant-intake.ts';
import { PresenceTracker } from '../../agent/domain/presence.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import type { SignedObservation } from '../../agent/lineage/observation.ts';
import { DAY, NOW, PLACE, makeChain, type Chain } from './authority-fixture.ts';

const T = NOW * 1000;
const HOUR = 3_600_000;
let grantor: Chain; // root -> authority (the grantor)
let other: Chain; // a second authority under the same root
let gateway: Chain; // root -> gateway

const scope = { places: ['urn:place:DEHAM:*'], kinds: ['*'], units: ['*'], maxWindowMs: DAY * 1000, maxGraceMs: HOUR, maxToleranceM: 500 };

beforeAll(async () => {
  grantor = await makeChain([{ scope: { ...scope, maxWindowMs: 7 * DAY * 1000, maxGraceMs: DAY * 1000, maxToleranceM: 5000 } }, { level: 'authority', depth: 0, scope, subject: 'urn:authority:grantor-a' }]);
  other = await makeChain([{}, { level: 'authority', depth: 0, subject: 'urn:authority:grantor-b' }]);
  gateway = await makeChain();
});

const req = (over: Partial<GrantRequest> = {}): GrantRequest => ({
  issuer: 'urn:authority:grantor-a',
  place: PLACE,
  reservation: 'R-42',
  unit: ['mmsi', '211331640'],
  window: [T + 60_000, T + HOUR],
  toleranceM: 50,
  graceMs: 60_000,
  nowMs: T,
  ...over,
});
const sign = (c: Chain, over: Partial<GrantRequest> = {}) => issueGrant(req(over), c.leaf.signer, c.leaf.bytes, c.parents);
const codeOf = async (bytes: Uint8Array | Promise<Uint8Array>, at = T, anchors = [grantor.anchor]) => {
  const r = verifyGrant(await bytes, anchors, at, PLACE);
  return r.ok ? 'OK' : r.code;
};

describe('verifyGrant', () => {
  it('accepts a grant inside every bound of its grantor and names it by h() of its payload', async () => {
    const bytes = await sign(grantor);
    const r = verifyGrant(bytes, [grantor.anchor], T, PLACE);
    if (!r.ok) return expect.fail(`${r.code}: ${r.reason}`);
    expect(Buffer.from(r.grant.hash).equals(Buffer.from(sha256(decodeSign1(bytes).payload)))).toBe(true);
    expect(r.grant.nonce).toHaveLength(16);
  });

  it.each([
    ['grace over maxGraceMs (365 days of grace on a 1-minute window)', { window: [T, T + 60_000] as [number, number], graceMs: 365 * DAY * 1000 }, 'GRANT_GRACE_TOO_LONG'],
    ['tolerance over maxToleranceM (20,000 km)', { toleranceM: 20_000_000 }, 'GRANT_TOLERANCE_TOO_WIDE'],
    ['window + 2·grace over maxWindowMs', { window: [T, T + DAY * 1000 - HOUR] as [number, number], graceMs: HOUR }, 'GRANT_WINDOW_TOO_LONG'],
    ['an exp already past', { exp: NOW - 1 }, 'GRANT_EXPIRED'],
    ['an iat 10 minutes ahead of the gateway clock', { nowMs: T + 10 * 60_000 }, 'GRANT_FROM_THE_FUTURE'],
    ['an iss that is not the credential subject', { issuer: 'urn:authority:someone-else' }, 'GRANT_ISS_MISMATCH'],
    ['a nonce of 8 bytes', { nonce: new Uint8Array(8).fill(1) }, 'GRANT_MALFORMED'],
    ['another place', { place: 'urn:place:DEHAM:berth:43' }, 'GRANT_WRONG_PLACE'],
  ])('refuses %s', async (_what, over, code) => {
    expect(await codeOf(sign(grantor, over))).toBe(code);
  });

  it('refuses a grant signed by a gateway credential even though its scope says kinds *', async () => {
    expect(await codeOf(sign(gateway, { issuer: 'urn:place-agent:01aabbccddeeff00112233445566778899' }), T, [gateway.anchor])).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
  });

  it('refuses a grant whose grantor chains to another authority (CHAIN_UNKNOWN_ANCHOR)', async () => {
    expect(await codeOf(sign(other, { issuer: 'urn:authority:grantor-b' }))).toBe('CHAIN_UNKNOWN_ANCHOR');
  });

  it('refuses a protected crit header (RFC 9052 §3.1) even when properly signed', async () => {
    const s = decodeSign1(await sign(grantor));
    const p = encodeDeterministic(
      new Map<CborMapKey, CborValue>([
        [HDR_ALG, -7],
        [HDR_CRIT, [-70000]],
        [HDR_KID, s.protectedHeader.get(HDR_KID)!],
        [HDR_TYP, TYP_GRANT],
        [-70000, 1],
      ]),
    );
    const bytes = encodeSign1({ protectedBytes: p, unprotected: s.unprotected, payload: s.payload, signature: await grantor.leaf.signer.sign(sigStructure(p, s.payload)) });
    expect(await codeOf(bytes)).toBe('COSE_CRIT_UNSUPPORTED');
  });
});

describe('GrantIntake against a store', () => {
  let dir: string;
  let store: ObservationStore;
  let intake: GrantIntake;
  let tracker: PresenceTracker;
  let errors: ErrorCounter;
  const answers: { [k: string]: CborValue }[] = [];
  const clock = new ManualClock(T);
  let seq = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-grants-'));
    store = new ObservationStore(join(dir, 'agent.db'));
    tracker = new PresenceTracker(60_000);
    errors = new ErrorCounter();
    intake = new GrantIntake({
      place: PLACE,
      anchors: [grantor.anchor, other.anchor],
      clock,
      logger: silentLogger,
      errors,
      grants: store.grants,
      track: (g, s) => tracker.addGrant(g, s),
      answer: async (body) => {
        answers.push(body);
        return { seq: ++seq } as SignedObservation;
      },
      perTopic: { burst: 100, perSec: 100 },
    });
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const last = () => answers[answers.length - 1]!;
  const hex = (b: CborValue) => Buffer.from(b as Uint8Array).toString('hex');

  it('accepts a grant, keeps it by cti, and answers grant-accepted with h(grant) on the chain', async () => {
    const bytes = await sign(grantor);
    expect(intake.receive(bytes, { topic: `pm/v1/${PLACE}/grants/R-42` })).toBe(true);
    await Promise.resolve();
    expect(last()).toEqual({ event: 'grant-accepted', grant: sha256(decodeSign1(bytes).payload), reservation: 'R-42' });
    expect([...store.grants.all()]).toHaveLength(1);
    // A replay of the same grant: no second grant, no second answer.
    const n = answers.length;
    expect(intake.receive(bytes, { topic: `pm/v1/${PLACE}/grants/R-42` })).toBe(false);
    expect(answers).toHaveLength(n);
    expect(errors.get('GRANT_DUPLICATE')).toBe(1);
  });

  it('keeps two grants for one reservation id from two grantors and judges them apart', async () => {
    const a = await sign(grantor, { reservation: 'R-7', unit: ['mmsi', '1'] });
    const b = await sign(other, { issuer: 'urn:authority:grantor-b', reservation: 'R-7', unit: ['mmsi', '2'] });
    expect(intake.receive(a, { topic: 't/R-7' })).toBe(true);
    expect(intake.receive(b, { topic: 't/R-7' })).toBe(true);
    expect(tracker.grantCount).toBe(3);
    // Each unit arrives against its own grantor's grant.
    // Two AIS reports a second apart make an uncorroborated but credible identity (presence.ts policy).
    const seen = (unit: string, t: number) => tracker.observe({ unit: ['mmsi', unit], t, distanceM: 10, source: 'ais', modality: 'ais', conf: 0.9, digest: `${unit}-${t}` });
    const arrived = (unit: string) => [...seen(unit, T + 120_000), ...seen(unit, T + 121_000)].filter((c) => c.kind === 'presence');
    expect(arrived('1').map((c) => c.grant.iss)).toEqual(['urn:authority:grantor-a']);
    expect(arrived('2').map((c) => c.grant.iss)).toEqual(['urn:authority:grantor-b']);
  });

  it('refuses a second grant that reuses a nonce, and answers grant-refused naming it', async () => {
    const nonce = new Uint8Array(16).fill(0x5a);
    expect(intake.receive(await sign(grantor, { reservation: 'R-8', nonce }), { topic: 't/R-8' })).toBe(true);
    const again = await sign(grantor, { reservation: 'R-9', nonce });
    expect(intake.receive(again, { topic: 't/R-9' })).toBe(false);
    await Promise.resolve();
    expect(last()).toEqual({ event: 'grant-refused', grant: sha256(decodeSign1(again).payload), reservation: 'R-9', reason: 'GRANT_NONCE_REUSED' });
  });

  it('answers a refused grant once with its code (over bounds, gateway-signed), and refuses an oversized one undecoded', async () => {
    const wide = await sign(grantor, { reservation: 'R-10', toleranceM: 20_000_000 });
    expect(intake.receive(wide, { topic: 't/R-10' })).toBe(false);
    expect(last().reason).toBe('GRANT_TOLERANCE_TOO_WIDE');
    const n = answers.length;
    expect(intake.receive(wide, { topic: 't/R-10' })).toBe(false);
    expect(answers).toHaveLength(n);
    expect(errors.get('GRANT_TOLERANCE_TOO_WIDE')).toBe(2);
    const big = new Uint8Array(MAX_INBOUND_BYTES + 1).fill(0xd2);
    expect(intake.receive(big, { topic: 't/big' })).toBe(false);
    expect(errors.get('GRANT_TOO_LARGE')).toBe(1);
    expect(answers).toHaveLength(n);
    expect(hex(last().grant!)).toHaveLength(64);
  });

  it('rate-limits verification per topic: a flood on one topic costs a bounded number of verifications', async () => {
    const limited = new GrantIntake({
      place: PLACE,
      anchors: [grantor.anchor],
      clock,
      logger: silentLogger,
      errors,
      grants: store.grants,
      track: () => true,
      answer: async () => undefined,
      perTopic: { burst: 3, perSec: 1 },
    });
    const bogus = await sign(other, { issuer: 'urn:authority:grantor-b', reservation: 'R-11' });
    const before = errors.get('GRANT_RATE_LIMITED');
    for (let i = 0; i < 50; i++) limited.receive(bogus, { topic: 't/flood' });
    expect(errors.get('GRANT_RATE_LIMITED') - before).toBe(47);
    expect(limited.chains.verified + limited.chains.reused).toBeLessThanOrEqual(3);
    // Another topic is not starved by the flood.
    expect(limited.receive(await sign(grantor, { reservation: 'R-12' }), { topic: 't/R-12' })).toBe(true);
  });
});

/**
 * Acceptances arriving on `pm/v1/<place>/accept/<reservation id>` (runtime/acceptance-intake.ts):
 * a genuine one reaches presence with the distance its own position gives and is kept with its
 * grant; everything else is refused under a stable code, counted, and reaches nothing: an object
 * over 16 KiB (not decoded), a reservation with no tracked grant, an acceptance of another grant
 * sent on this reservation's topic, a unit outside its credential, a bad signature, a redelivery.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCounter } from '../../core/coded-error.ts';
import { silentLogger } from '../../core/log.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { issueGrant, verifyGrant, type ReservationGrant } from '../../agent/authority/grant.ts';
import { signAcceptance, type Acceptance } from '../../agent/authority/acceptance.ts';
import { CredentialChainCache } from '../../agent/authority/chain-cache.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { ObservationStore } from '../../agent/store/store.ts';
import { AcceptanceIntake } from '../../agent/runtime/acceptance-intake.ts';
import { acceptTopic } from '../../agent/transport/topics.ts';
import { DAY, NOW, PLACE, WIDE, makeChain, type Chain } from './authority-fixture.ts';

const T = NOW * 1000;
const HOUR = 3_600_000;
const ANCHOR = { lat: 53.5461, lon: 9.9665 };
let grantor: Chain;
const grants = new Map<string, { grant: ReservationGrant; bytes: Uint8Array }>();
let vessel: { signer: SoftwareSigner; credential: Uint8Array; parents: Uint8Array[] };

async function grantFor(reservation: string, mmsi: string): Promise<void> {
  const bytes = await issueGrant(
    { issuer: 'urn:authority:1', place: PLACE, reservation, unit: ['mmsi', mmsi], window: [T - HOUR, T + HOUR], toleranceM: 100, graceMs: 10 * 60_000, nowMs: T },
    grantor.leaf.signer,
    grantor.leaf.bytes,
    grantor.parents,
  );
  const r = verifyGrant(bytes, [grantor.anchor], T, PLACE);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  grants.set(reservation, { grant: r.grant, bytes });
}

beforeAll(async () => {
  grantor = await makeChain([{}, { level: 'authority', depth: 0, subject: 'urn:authority:1' }]);
  await grantFor('R1', '211331640');
  await grantFor('R2', '211331640');
  await grantFor('R3', '244000001');
  const signer = SoftwareSigner.generate();
  const root = grantor.links[0]!;
  const credential = await issueCredential(
    { issuer: 'urn:authority:root', subject: 'urn:unit:mmsi:211331640', subjectKey: await signer.publicKey(), scope: { ...WIDE, kinds: ['acceptance'], units: ['mmsi:211331640'] }, notBefore: NOW - DAY, notAfter: NOW + 30 * DAY, now: NOW, depth: 0, level: 'unit', parentBytes: root.bytes },
    grantor.anchorSigner,
  );
  vessel = { signer, credential, parents: [root.bytes] };
});

const accept = (reservation: string, location?: { lat: number; lon: number }) =>
  signAcceptance({ iss: 'urn:unit:mmsi:211331640', grant: grants.get(reservation)!.grant, tMs: T, ...(location ? { location: { ...location, accuracyM: 10, t: T - 5000 } } : {}) }, vessel.signer, vessel.credential, vessel.parents);

function rig(tracked = ['R1', 'R2']) {
  const store = new ObservationStore(':memory:');
  for (const r of tracked) {
    const { grant: g, bytes } = grants.get(r)!;
    store.grants.save({ cti: g.cti, hash: g.hash, nonce: g.nonce, place: g.place, reservation: g.reservation, windowStart: g.window[0], windowEnd: g.window[1] + g.graceMs, bytes, receivedAt: T });
  }
  const errors = new ErrorCounter();
  const taken: { grant: ReservationGrant; a: Acceptance; d: number | undefined }[] = [];
  const intake = new AcceptanceIntake({
    place: PLACE,
    anchors: [grantor.anchor],
    chains: new CredentialChainCache([grantor.anchor]).verify,
    clock: { now: () => T },
    logger: silentLogger,
    errors,
    grants: store.grants,
    grantsFor: (r) => (tracked.includes(r) ? [grants.get(r)!.grant] : []),
    anchor: ANCHOR,
    freshMs: 60_000,
    accept: (grant, a, d) => taken.push({ grant, a, d }),
  });
  return { store, errors, taken, intake };
}

describe('acceptance intake', () => {
  it('hands a genuine acceptance to presence with its distance bound, and keeps it with its grant', async () => {
    const { store, errors, taken, intake } = rig();
    // 20 m north of the anchor, accuracy 10 m.
    const bytes = await accept('R1', { lat: ANCHOR.lat + 20 / 111_195, lon: ANCHOR.lon });
    expect(intake.receive(bytes, { topic: acceptTopic(PLACE, 'R1') })).toBe(true);
    expect(taken).toHaveLength(1);
    expect(taken[0]!.grant.reservation).toBe('R1');
    expect(taken[0]!.d).toBeCloseTo(30, 0);
    expect(errors.total()).toBe(0);
    const kept = store.grants.active(T).find((g) => g.reservation === 'R1')!;
    expect(Buffer.from(kept.acceptance!).equals(Buffer.from(bytes))).toBe(true);
    // Redelivered (a retained message after a reconnect): evidence once.
    expect(intake.receive(bytes, { topic: acceptTopic(PLACE, 'R1') })).toBe(false);
    expect(errors.get('ACCEPT_DUPLICATE')).toBe(1);
    expect(taken).toHaveLength(1);
  });

  it('without a position it is identity evidence with no distance of its own', async () => {
    const { taken, intake } = rig();
    expect(intake.receive(await accept('R2'), { topic: acceptTopic(PLACE, 'R2') })).toBe(true);
    expect(taken[0]!.d).toBeUndefined();
  });

  const refusals: [string, () => Promise<{ bytes: Uint8Array; topic: string; tracked?: string[] }>, string][] = [
    ['over 16 KiB, not decoded', async () => ({ bytes: new Uint8Array(16 * 1024 + 1).fill(0xd2), topic: acceptTopic(PLACE, 'R1') }), 'ACCEPT_TOO_LARGE'],
    ['for a reservation with no tracked grant', async () => ({ bytes: await accept('R1'), topic: acceptTopic(PLACE, 'R1'), tracked: ['R2'] }), 'ACCEPT_NO_GRANT'],
    ["of R2's grant, sent on R1's topic", async () => ({ bytes: await accept('R2'), topic: acceptTopic(PLACE, 'R1') }), 'ACCEPT_GRANT_MISMATCH'],
    ['on a topic that is not an acceptance topic of this place', async () => ({ bytes: await accept('R1'), topic: 'pm/v1/urn:place:OTHER:1/accept/R1' }), 'ACCEPT_BAD_TOPIC'],
    [
      'whose signature does not verify',
      async () => {
        const b = await accept('R1');
        // The signature's last byte (r || s closes the COSE_Sign1 array).
        const t = b.slice();
        t[t.length - 1] = t[t.length - 1]! ^ 1;
        return { bytes: t, topic: acceptTopic(PLACE, 'R1') };
      },
      'ACCEPT_BAD_SIGNATURE',
    ],
  ];

  it.each(refusals)('refuses one %s, counted under its code', async (_what, make, code) => {
    const m = await make();
    const { errors, taken, intake, store } = rig(m.tracked);
    expect(intake.receive(m.bytes, { topic: m.topic })).toBe(false);
    expect(errors.get(code)).toBe(1);
    expect(errors.total()).toBe(1);
    expect(taken).toEqual([]);
    expect(store.grants.active(T).every((g) => g.acceptance === undefined)).toBe(true);
  });

  it('refuses an acceptance of a grant for a unit outside the signer credential (a vessel accepting for another)', async () => {
    const { errors, taken, intake } = rig(['R3']);
    // Signed as if for R3's vessel: the credential names 211331640 only.
    const bytes = await signAcceptance({ iss: 'urn:unit:mmsi:211331640', grant: grants.get('R3')!.grant, tMs: T }, vessel.signer, vessel.credential, vessel.parents);
    expect(intake.receive(bytes, { topic: acceptTopic(PLACE, 'R3') })).toBe(false);
    expect(errors.get('ACCEPT_UNIT_OUT_OF_SCOPE')).toBe(1);
    expect(taken).toEqual([]);
  });

  it('takes a stored acceptance again at start, without storing it twice', async () => {
    const first = rig();
    const bytes = await accept('R1');
    expect(first.intake.receive(bytes, { topic: acceptTopic(PLACE, 'R1') })).toBe(true);
    const again = rig();
    expect(again.intake.receive(bytes, { stored: true, reservation: 'R1' })).toBe(true);
    expect(again.taken).toHaveLength(1);
    expect(again.store.grants.active(T).find((g) => g.reservation === 'R1')!.acceptance).toBeUndefined();
  });
});

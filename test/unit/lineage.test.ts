/**
 * Lineage (DESIGN.md, "Lineage"): one chain per agent, seq without gaps, prev linking each
 * observation to the hash of the one before, an epoch that never goes back. The verifier a
 * counterparty runs must name gaps, reorders, forks and rollbacks, and must not treat an
 * at-least-once redelivery as a failure.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ObservationChain, GENESIS_PREV, type ObservationDraft, type SignedObservation, type LineageHead } from '../../agent/lineage/observation.ts';
import { ObservationVerifier, type ObservationClaims } from '../../agent/verify/observation-verifier.ts';
import { LineageVerifier, type LineageFailure } from '../../agent/verify/lineage-verifier.ts';
import { encodeSign1, decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from './authority-fixture.ts';

const draft = (i: number): ObservationDraft => ({
  kind: i % 10 === 0 ? 'checkpoint' : 'envelope',
  place: PLACE,
  t: NOW * 1000 + i * 1000,
  tq: { src: 'ntp', sync: true, errMs: 20 },
  body: { i, free_length_m: 180 - i / 10 },
});

let authority: Chain;
let verifier: ObservationVerifier;
let links: { obs: SignedObservation; claims: ObservationClaims }[];

async function newChain(head: LineageHead): Promise<ObservationChain> {
  const c = new ObservationChain(authority.leaf.signer, identityOf(authority), head);
  await c.prime();
  return c;
}

function verified(obs: SignedObservation): { obs: SignedObservation; claims: ObservationClaims } {
  const r = verifier.check(obs.bytes);
  if (!r.ok) return expect.fail(`seq ${obs.seq}: ${r.code} ${r.reason}`);
  return { obs, claims: r.claims };
}

function feed(items: { obs: SignedObservation; claims: ObservationClaims }[], lv = new LineageVerifier()): { lv: LineageVerifier; failures: LineageFailure[] } {
  const failures = items.flatMap((x) => lv.add(x.claims, x.obs.hash));
  return { lv, failures };
}

const brief = (fs: LineageFailure[]) => fs.map((f) => `${f.code}@${f.seq}`);

beforeAll(async () => {
  authority = await makeChain();
  verifier = new ObservationVerifier([authority.anchor]);
  const chain = await newChain({ seq: 0, hash: GENESIS_PREV, epoch: 5n });
  links = Array.from({ length: 100 }, (_, i) => verified(chain.appendSync(draft(i + 1))));
});

describe('observation chain and lineage verifier', () => {
  it('signs 100 links with seq 1..100, each prev the hash of the one before, and they verify as one chain', () => {
    expect(links.map((l) => l.claims.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(Buffer.from(links[0]!.claims.prev).equals(Buffer.from(GENESIS_PREV))).toBe(true);
    for (let i = 1; i < 100; i++) expect(Buffer.from(links[i]!.claims.prev).equals(Buffer.from(links[i - 1]!.obs.hash))).toBe(true);
    const { lv, failures } = feed(links);
    expect(failures).toEqual([]);
    expect(lv.accepted).toBe(100);
    expect(lv.heads()).toEqual([{ iss: links[0]!.claims.iss, seq: 100, epoch: 5n }]);
  });

  it('reports a removed observation as LINEAGE_GAP naming the missing seqs', () => {
    const { failures } = feed(links.filter((l) => l.claims.seq !== 50));
    expect(brief(failures)).toEqual(['LINEAGE_GAP@51']);
    expect(failures[0]!.reason).toContain('50..50');
  });

  it('reports two swapped observations as a gap then a reorder, and the chain links again after them', () => {
    const swapped = [...links];
    [swapped[49], swapped[50]] = [swapped[50]!, swapped[49]!];
    const { failures } = feed(swapped);
    expect(brief(failures)).toEqual(['LINEAGE_GAP@51', 'LINEAGE_REORDER@50']);
  });

  it('reports a second chain under the same key reusing a seq as LINEAGE_FORK', async () => {
    // A restored backup signing on from seq 60: same key, same seqs, different observations.
    const rogue = await newChain({ seq: links[58]!.claims.seq, hash: links[58]!.obs.hash, epoch: 5n });
    const fork = verified(rogue.appendSync(draft(60)));
    expect(fork.claims.seq).toBe(60);
    const { failures } = feed([...links, fork]);
    expect(brief(failures)).toEqual(['LINEAGE_FORK@60']);
  });

  it('counts a redelivered observation as a duplicate, not a failure', () => {
    const { lv, failures } = feed([...links.slice(0, 30), links[9]!, links[29]!, ...links.slice(30)]);
    expect(failures).toEqual([]);
    expect(lv.duplicates).toBe(2);
    expect(lv.accepted).toBe(100);
  });

  it('reports an epoch lower than an earlier one as LINEAGE_EPOCH_ROLLBACK', async () => {
    const next = await newChain({ seq: 100, hash: links[99]!.obs.hash, epoch: 5n });
    const up = verified(next.appendSync(draft(101)));
    next.setEpoch(4n); // the counter went back: an old database or counter file was restored
    const back = verified(next.appendSync(draft(102)));
    const { failures } = feed([...links, up, back]);
    expect(brief(failures)).toEqual(['LINEAGE_EPOCH_ROLLBACK@102']);
    // Raising the epoch is normal at every start.
    next.setEpoch(6n);
    expect(feed([verified(next.appendSync(draft(103)))], feed([...links, up, back]).lv).failures).toEqual([]);
  });

  it('reports a prev that does not link as LINEAGE_BROKEN_LINK, and a seq 1 not starting from zeros as LINEAGE_BAD_GENESIS', async () => {
    const broken = await newChain({ seq: 100, hash: new Uint8Array(randomBytes(32)), epoch: 5n });
    expect(brief(feed([...links, verified(broken.appendSync(draft(101)))]).failures)).toEqual(['LINEAGE_BROKEN_LINK@101']);
    const badStart = await newChain({ seq: 0, hash: new Uint8Array(32).fill(1), epoch: 1n });
    expect(brief(feed([verified(badStart.appendSync(draft(1)))]).failures)).toContain('LINEAGE_BAD_GENESIS@1');
  });

  it('accepts a stream that starts mid-chain when asked (a subscriber joining late)', () => {
    const lv = new LineageVerifier();
    const failures = links.slice(40).flatMap((l) => lv.add(l.claims, l.obs.hash, { allowStartAfterGenesis: true }));
    expect(failures).toEqual([]);
    expect(brief(feed(links.slice(40)).failures)).toEqual(['LINEAGE_GAP@41']);
  });

  it('remembers only a window of seqs per issuer: memory stays bounded, recent repeats are still duplicates or forks', () => {
    // The lineage checks read iss, seq, prev and epoch; a synthetic chain of 20,000 links
    // (hash i = 32 bytes of a counter) exercises the window without signing each one.
    const hashOf = (i: number): Uint8Array => {
      const h = new Uint8Array(32);
      new DataView(h.buffer).setUint32(28, i);
      return i === 0 ? new Uint8Array(32) : h;
    };
    const claims = (seq: number) => ({ ...links[0]!.claims, iss: 'urn:window-test', seq, prev: hashOf(seq - 1), epoch: 1n });
    const lv = new LineageVerifier({ window: 1000 });
    const failures: LineageFailure[] = [];
    for (let s = 1; s <= 20_000; s++) failures.push(...lv.add(claims(s), hashOf(s)));
    expect(failures).toEqual([]);
    expect(lv.tracked).toBeLessThanOrEqual(1250);
    expect(lv.tracked).toBeGreaterThanOrEqual(1000);
    // A resend from inside the window is a duplicate; other bytes there are a fork.
    expect(lv.add(claims(19_500), hashOf(19_500))).toEqual([]);
    expect(lv.duplicates).toBe(1);
    expect(brief(lv.add(claims(19_600), hashOf(7)))).toEqual(['LINEAGE_FORK@19600']);
    // Older than the window: reported, and said to be undecidable.
    const old = lv.add(claims(500), hashOf(500));
    expect(brief(old)).toEqual(['LINEAGE_REORDER@500']);
    expect(old[0]!.reason).toContain('too old to tell a duplicate from a fork');
  });

  it('a relay that adds an unprotected label gets the message refused, and makes no fork or broken link appear', () => {
    const victim = links[41]!.obs;
    const s = decodeSign1(victim.bytes);
    const u = new Map(s.unprotected);
    u.set(33, new Uint8Array([1, 2, 3])); // x5chain, which the signature does not cover
    const relayed = encodeSign1({ protectedBytes: s.protectedBytes, unprotected: u, payload: s.payload, signature: s.signature });
    const r = verifier.check(relayed);
    expect(r.ok ? 'OK' : r.code).toBe('COSE_UNPROTECTED_LABEL');
    // The signature alone does not notice: the payload and its h() are unchanged.
    expect(Buffer.from(decodeSign1(victim.bytes).payload).equals(Buffer.from(s.payload))).toBe(true);
    // The honest copy still links, and seen twice it is a duplicate, not a fork.
    const { lv, failures } = feed(links);
    expect([...failures, ...lv.add(links[41]!.claims, victim.hash)]).toEqual([]);
    expect(lv.duplicates).toBe(1);
  });

  it('rewinds to a durable head so a failed commit re-signs the same seqs', async () => {
    const c = await newChain({ seq: 100, hash: links[99]!.obs.hash, epoch: 5n });
    const durable = c.current();
    c.appendSync(draft(101));
    c.appendSync(draft(102));
    c.rewind(durable);
    const again = verified(c.appendSync(draft(101)));
    expect(again.claims.seq).toBe(101);
    expect(feed([...links, again]).failures).toEqual([]);
  });
});

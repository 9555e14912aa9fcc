/**
 * The gateway's intake of revocation lists (agent/runtime/revocation-intake.ts): a legitimate
 * list behind a burst of junk on its topic is held back by the rate limit and still accepted
 * moments later (a retained list is delivered once per subscription); a kept list is honoured
 * again after a restart even once its issuer's credential has expired; the issuers followed are
 * bounded; a list with the held seq but other content is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevocationIntake, MAX_ISSUERS } from '../../agent/runtime/revocation-intake.ts';
import { issueRevocationList, type RevocationRequest } from '../../agent/authority/revocation.ts';
import { MemoryTrustState, TrustStateFiles, type TrustState } from '../../agent/store/trust-state.ts';
import { revocationTopic } from '../../agent/transport/topics.ts';
import { ErrorCounter } from '../../core/coded-error.ts';
import { ManualClock, type Clock } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { DAY, NOW, makeChain, type Chain } from './authority-fixture.ts';

let site: Chain;
let dir: string;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T = NOW * 1000;

beforeAll(async () => {
  site = await makeChain([{}, { level: 'authority', depth: 1 }, {}]);
  dir = mkdtempSync(join(tmpdir(), 'pa-rev-intake-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function intake(clock: Clock, state: TrustState = new MemoryTrustState()) {
  const errors = new ErrorCounter();
  const topics: string[] = [];
  const accepted: number[] = [];
  const i = new RevocationIntake({ anchors: [site.anchor], clock, logger: silentLogger, errors, state, subscribe: (t) => topics.push(t), onList: (l) => accepted.push(l.seq) });
  return { i, errors, topics, accepted };
}
const rootList = (over: Partial<RevocationRequest>, nowMs = T) =>
  issueRevocationList({ issuer: 'urn:authority:0', seq: 1, revoked: [], grants: [], nextMs: nowMs + DAY * 1000, nowMs, ...over }, site.anchorSigner, site.links[0]!.bytes, []);

describe('RevocationIntake', () => {
  it('accepts a list held back behind a burst of junk on its topic once the rate limit allows', async () => {
    const t0 = performance.now();
    const clock: Clock = { now: () => Math.floor(T + (performance.now() - t0)) };
    const { i, errors, accepted } = intake(clock);
    const topic = revocationTopic(hex(site.anchor.kid));
    for (let n = 0; n < 20; n++) i.receive(topic, Uint8Array.of(0xd2, 0x84, n));
    expect(i.receive(topic, await rootList({ seq: 3 }))).toBe(false);
    expect(errors.get('REVOCATION_RATE_LIMITED')).toBeGreaterThan(0);
    expect(accepted).toEqual([]);
    const deadline = Date.now() + 5000;
    while (accepted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toEqual([3]);
    i.stop();
  });

  it('refuses another list with the held seq, and a lower seq, keeping the first', async () => {
    const { i, errors } = intake(new ManualClock(T));
    const topic = revocationTopic(hex(site.anchor.kid));
    expect(i.receive(topic, await rootList({ seq: 2 }))).toBe(true);
    expect(i.receive(topic, await rootList({ seq: 2, revoked: [new Uint8Array(32).fill(1)] }))).toBe(false);
    expect(i.receive(topic, await rootList({ seq: 1 }))).toBe(false);
    expect(errors.snapshot()).toMatchObject({ REVOCATION_SEQ_CONFLICT: 1, REVOCATION_SEQ_OLD: 1 });
    expect(i.lists().map((l) => [l.seq, l.revoked.length])).toEqual([[2, 0]]);
  });

  it('honours a kept list after a restart, even once the issuer credential has expired', async () => {
    const state = new TrustStateFiles(join(dir, 'trust'));
    const first = intake(new ManualClock(T), state);
    expect(first.i.receive(revocationTopic(hex(site.anchor.kid)), await rootList({ seq: 4, revoked: [new Uint8Array(32).fill(7)] }))).toBe(true);
    // 40 days on: the fixture's credentials held 30.
    const later = intake(new ManualClock(T + 40 * DAY * 1000), new TrustStateFiles(join(dir, 'trust')));
    later.i.loadKept();
    expect(later.i.lists().map((l) => l.seq)).toEqual([4]);
    expect(later.errors.total()).toBe(0);
  });

  it('follows at most MAX_ISSUERS topics and counts the rest', () => {
    const { i, errors, topics } = intake(new ManualClock(T));
    for (let n = 0; n < MAX_ISSUERS + 5; n++) i.follow(Uint8Array.of(n, ...new Uint8Array(31)));
    i.follow(Uint8Array.of(0, ...new Uint8Array(31))); // again: no second subscription
    expect(topics).toHaveLength(MAX_ISSUERS);
    expect(errors.get('REVOCATION_ISSUERS_FULL')).toBe(5);
  });
});

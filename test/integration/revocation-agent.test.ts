/**
 * Revocation lists and credential renewal through a running PlaceAgent on a real mosquitto
 * (DESIGN.md, "Revocation list"): lists arrive retained on pm/v1/authority/<kid>/revocations.
 * A grant through a revoked grantor credential is refused and answered on the chain, an accepted
 * one stops and is answered once, a grant listed by cti likewise; a lower seq is ignored; forged
 * lists (a gateway as issuer, another anchor, a sibling authority on the root's topic) are refused
 * and counted while signing goes on; the agent's own credential revoked: it says so once and
 * signs nothing more until a renewed credential is installed, which it picks up without a
 * restart; a restart honours the kept list before any broker answers; expiry within 7 days is
 * said once on the chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Clock } from '../../core/clock.ts';
import { isCodedError } from '../../core/coded-error.ts';
import type { PlaceAgent } from '../../agent/runtime/place-agent.ts';
import { agentStatusPort } from '../../agent/runtime/status-port.ts';
import type { ObservationStore } from '../../agent/store/store.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import type { SignedObservation } from '../../agent/lineage/observation.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { issueGrant } from '../../agent/authority/grant.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { issueRevocationList, type RevocationRequest } from '../../agent/authority/revocation.ts';
import { objectHash } from '../../agent/encoding/cose-sign1.ts';
import { coseKeyThumbprint } from '../../agent/encoding/cose-key.ts';
import { grantTopic, revocationTopic } from '../../agent/transport/topics.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { plain } from '../support/place-gateway.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { DAY, NOW, PLACE, WIDE, makeChain, type Chain } from '../unit/authority-fixture.ts';

const t0 = performance.now();
const clock: Clock = { now: () => Math.floor(NOW * 1000 + (performance.now() - t0)) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (cond: () => boolean, what: string, ms = 15_000) => waitFor(cond, ms, what);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('revocation lists and renewal through a running agent', () => {
  let dir: string;
  let site: Chain; // root -> authority A -> gateway
  let foreign: Chain; // another anchor -> authority
  let bSigner: SoftwareSigner;
  let bCred: Uint8Array; // grantor B, a second authority under the site's root
  let broker: Mosquitto;
  let pub: mqtt.MqttClient;
  let committed: SignedObservation[] = [];
  let agent: PlaceAgent;
  let store: ObservationStore;

  const rootTopic = () => revocationTopic(hex(site.anchor.kid));
  const rootList = (over: Partial<RevocationRequest>) =>
    issueRevocationList({ issuer: 'urn:authority:0', seq: 1, revoked: [], grants: [], nextMs: clock.now() + DAY * 1000, nowMs: clock.now(), ...over }, site.anchorSigner, site.links[0]!.bytes, []);
  const window = (): [number, number] => [clock.now() + 60_000, clock.now() + 600_000];
  const grantFrom = (who: 'A' | 'B', reservation: string) =>
    who === 'B'
      ? issueGrant({ issuer: 'urn:authority:B', place: PLACE, reservation, unit: ['mmsi', '211331640'], window: window(), toleranceM: 50, graceMs: 60_000, nowMs: clock.now() }, bSigner, bCred, [site.links[0]!.bytes])
      : issueGrant({ issuer: 'urn:authority:1', place: PLACE, reservation, unit: ['mmsi', '211331640'], window: window(), toleranceM: 50, graceMs: 60_000, nowMs: clock.now() }, site.links[1]!.signer, site.links[1]!.bytes, [site.links[0]!.bytes]);
  const publish = async (topic: string, bytes: Uint8Array, retain = true) => pub.publishAsync(topic, Buffer.from(bytes), { qos: 1, retain });
  /** Every committed observation, verified as a counterparty would, with its body as plain data. */
  const verified = () =>
    committed.map((o) => {
      const r = new ObservationVerifier([site.anchor]).check(o.bytes);
      if (!r.ok) throw new Error(`observation ${o.seq} does not verify: ${r.code} ${r.reason}`);
      return { seq: o.seq, kind: o.kind, cred: hex(r.claims.raw.get(CLAIM.cred) as Uint8Array), body: plain(r.claims.body) as Record<string, unknown> };
    });
  const answer = (reservation: string) => verified().filter((o) => o.kind === 'reservation' && o.body.reservation === reservation).map((o) => `${String(o.body.event)}${o.body.reason ? `:${String(o.body.reason)}` : ''}`);
  const statusEvents = (event: string) => verified().filter((o) => o.kind === 'status' && o.body.event === event);

  /** The gateway of `site`, its revocation lists and renewals kept in `trustDir`. */
  const makeAgent = (db: string, trustDir: string, brokerUrl?: string): ChainAgent =>
    chainAgent({ chain: site, db, clock, clientId: `rev-agent-${Math.random()}`, trustDir, ...(brokerUrl ? { brokerUrl } : {}) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-revoke-agent-'));
    site = await makeChain([{}, { level: 'authority', depth: 1 }, {}]);
    foreign = await makeChain([{}, { level: 'authority', depth: 0 }]);
    bSigner = SoftwareSigner.generate();
    bCred = await issueCredential(
      { issuer: 'urn:authority:0', subject: 'urn:authority:B', subjectKey: await bSigner.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + 30 * DAY, now: NOW, depth: 1, level: 'authority', parentBytes: site.links[0]!.bytes },
      site.anchorSigner,
    );
    broker = await startMosquitto();
    ({ agent, store, committed } = makeAgent(join(dir, 'agent.db'), join(dir, 'trust'), broker.url));
    await agent.start();
    pub = await mqtt.connectAsync(broker.url, { clientId: 'rev-authority', protocolVersion: 5 });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    store?.close();
    await pub?.endAsync();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses forged lists and counts them while it keeps signing', async () => {
    await until(() => committed.length > 3 && agent.publisher.isConnected, 'the agent to sign and connect');
    const n = committed.length;
    // A gateway credential as issuer, on the root's topic.
    await publish(rootTopic(), await issueRevocationList({ issuer: 'urn:place-agent:01aabbccddeeff00112233445566778899', seq: 9, revoked: [objectHash(site.leaf.bytes)], grants: [], nextMs: 0, nowMs: clock.now() }, site.leaf.signer, site.leaf.bytes, site.parents));
    // An authority under another anchor.
    await publish(rootTopic(), await issueRevocationList({ issuer: 'urn:authority:1', seq: 9, revoked: [objectHash(site.leaf.bytes)], grants: [], nextMs: 0, nowMs: clock.now() }, foreign.leaf.signer, foreign.leaf.bytes, foreign.parents));
    // A valid list of grantor B, but on the root's topic.
    await publish(rootTopic(), await issueRevocationList({ issuer: 'urn:authority:B', seq: 9, revoked: [objectHash(site.leaf.bytes)], grants: [], nextMs: 0, nowMs: clock.now() }, bSigner, bCred, [site.links[0]!.bytes]));
    // 20 KiB of junk: refused before decoding.
    await publish(rootTopic(), new Uint8Array(20 * 1024).fill(0xd2), false);
    await until(() => ['CHAIN_LEVEL_MAY_NOT_SIGN', 'CHAIN_UNKNOWN_ANCHOR', 'REVOCATION_TOPIC_MISMATCH'].every((c) => agent.errors.get(c) === 1), 'the three forged lists to be refused');
    expect(agent.errors.get('REVOCATION_TOO_LARGE') + agent.errors.get('MQTT_PACKET_TOO_LARGE')).toBeLessThanOrEqual(1);
    expect(agent.trust.revocations.lists()).toEqual([]);
    expect(agent.trust.revoked).toBe(false);
    await sleep(500);
    expect(committed.length).toBeGreaterThan(n + 3);
    expect(statusEvents('credential-revoked')).toEqual([]);
  });

  it('stops an accepted grant once its grantor is revoked, refuses new grants through it, and ignores a lower seq', async () => {
    await publish(grantTopic(PLACE, 'R-1'), await grantFrom('B', 'R-1'));
    await until(() => answer('R-1').includes('grant-accepted'), 'R-1 accepted');
    expect(agent.presence.grantsFor('R-1')).toHaveLength(1);
    // B's grant made the agent follow B's topic; B may list its own grants, but not revoke the
    // gateway, which is not below it: the list is held, the gateway goes on attesting.
    const bTopic = revocationTopic(hex(coseKeyThumbprint(await bSigner.publicKey())));
    await publish(bTopic, await issueRevocationList({ issuer: 'urn:authority:B', seq: 1, revoked: [objectHash(site.leaf.bytes)], grants: [], nextMs: 0, nowMs: clock.now() }, bSigner, bCred, [site.links[0]!.bytes]));
    await until(() => agent.trust.revocations.lists().some((l) => l.iss === 'urn:authority:B'), "B's list to be held");
    const m = committed.length;
    await sleep(400);
    expect(agent.trust.revoked).toBe(false);
    expect(committed.length).toBeGreaterThan(m);

    await publish(rootTopic(), await rootList({ seq: 2, revoked: [objectHash(bCred)] }));
    await until(() => answer('R-1').includes('grant-refused:GRANT_CREDENTIAL_REVOKED'), 'R-1 answered as revoked');
    expect(agent.presence.grantsFor('R-1')).toEqual([]);
    expect(answer('R-1')).toEqual(['grant-accepted', 'grant-refused:GRANT_CREDENTIAL_REVOKED']);

    await publish(grantTopic(PLACE, 'R-2'), await grantFrom('B', 'R-2'));
    await until(() => answer('R-2').length > 0, 'R-2 answered');
    expect(answer('R-2')).toEqual(['grant-refused:GRANT_CREDENTIAL_REVOKED']);

    // seq 1 after seq 2, revoking nothing: ignored and counted; B stays revoked.
    await publish(rootTopic(), await rootList({ seq: 1 }));
    await until(() => agent.errors.get('REVOCATION_SEQ_OLD') === 1, 'the lower seq to be counted');
    expect(agent.trust.revocations.lists().filter((l) => l.iss === 'urn:authority:0').map((l) => l.seq)).toEqual([2]);
    await publish(grantTopic(PLACE, 'R-3'), await grantFrom('B', 'R-3'));
    await until(() => answer('R-3').length > 0, 'R-3 answered');
    expect(answer('R-3')).toEqual(['grant-refused:GRANT_CREDENTIAL_REVOKED']);
  });

  it('stops a grant listed by its cti', async () => {
    const g = await grantFrom('A', 'R-4');
    await publish(grantTopic(PLACE, 'R-4'), g);
    await until(() => answer('R-4').includes('grant-accepted'), 'R-4 accepted');
    const { decodeCbor } = await import('../../agent/encoding/cbor-decode.ts');
    const { decodeSign1 } = await import('../../agent/encoding/cose-sign1.ts');
    const cti = (decodeCbor(decodeSign1(g).payload) as Map<number, unknown>).get(CLAIM.cti) as Uint8Array;
    await publish(rootTopic(), await rootList({ seq: 3, revoked: [objectHash(bCred)], grants: [cti] }));
    await until(() => answer('R-4').includes('grant-refused:GRANT_REVOKED'), 'R-4 answered as revoked');
    expect(agent.presence.grantsFor('R-4')).toEqual([]);
  });

  it('own credential revoked: says so once, then signs nothing, not even grant answers; a renewal lets it attest again', async () => {
    const status = agentStatusPort(agent, store, agent.publisher, {});
    const own = objectHash(site.leaf.bytes);
    await publish(rootTopic(), await rootList({ seq: 4, revoked: [objectHash(bCred), own] }));
    await until(() => statusEvents('credential-revoked').length === 1, 'the revocation to be said on the chain');
    const said = statusEvents('credential-revoked')[0]!;
    expect(said.body).toMatchObject({ reason: 'CREDENTIAL_REVOKED', link: 0, by: { iss: 'urn:authority:0', seq: 4 } });
    expect(hex(said.body.credential as Uint8Array)).toBe(hex(own));
    expect(status.trust().revoked).toMatchObject({ link: 0, seq: 4, iss: 'urn:authority:0' });
    await sleep(300);
    const after = committed.length;
    // A later list that still revokes it, and a grant: nothing more on the chain.
    await publish(rootTopic(), await rootList({ seq: 5, revoked: [objectHash(bCred), own] }));
    await publish(grantTopic(PLACE, 'R-5'), await grantFrom('A', 'R-5'));
    await until(() => agent.trust.revocations.lists().some((l) => l.seq === 5), 'list 5 accepted');
    await sleep(1000);
    expect(committed.length).toBe(after);
    expect(agent.errors.get('CREDENTIAL_REVOKED_SILENT')).toBeGreaterThan(3);

    // A renewal for another key is refused and changes nothing.
    const stranger = SoftwareSigner.generate();
    const wrongKey = await issueCredential(
      { issuer: 'urn:authority:1', subject: 'urn:place-agent:01aabbccddeeff00112233445566778899', subjectKey: await stranger.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + 20 * DAY, now: NOW, depth: 0, level: 'gateway', parentBytes: site.links[1]!.bytes },
      site.links[1]!.signer,
    );
    const refusal = await agent.trust.credential.renew(wrongKey, site.parents).then(() => 'switched', (e) => (isCodedError(e) ? e.code : String(e)));
    expect(refusal).toBe('CREDENTIAL_RENEWAL_REFUSED');
    expect(committed.length).toBe(after);

    // The authority issues a new credential for the agent's key: it switches, says so, attests again.
    const renewed = await issueCredential(
      { issuer: 'urn:authority:1', subject: 'urn:place-agent:01aabbccddeeff00112233445566778899', subjectKey: await site.leaf.signer.publicKey(), scope: WIDE, notBefore: NOW - DAY, notAfter: NOW + 20 * DAY, now: NOW, depth: 0, level: 'gateway', parentBytes: site.links[1]!.bytes },
      site.links[1]!.signer,
    );
    expect(await agent.trust.credential.renew(renewed, site.parents)).toBe(true);
    await until(() => statusEvents('credential-renewed').length === 1 && verified().filter((o) => o.kind === 'envelope' && o.cred === hex(objectHash(renewed))).length > 2, 'envelopes under the renewed credential');
    const switched = statusEvents('credential-renewed')[0]!;
    expect(hex(switched.body.previous as Uint8Array)).toBe(hex(own));
    expect(switched.cred).toBe(hex(objectHash(renewed)));
    // One chain throughout: seqs without a gap across the switch.
    const seqs = committed.map((o) => o.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(status.trust().revoked).toBeUndefined();
    expect(status.trust().renewals).toBe(1);
    expect(Buffer.from(status.credential).equals(Buffer.from(renewed))).toBe(true);
  });

  it('after a restart the kept list is honoured before any broker answers, and the revocation is not said again', async () => {
    await agent.stop();
    store.close();
    // The original (revoked) credential, no broker reachable.
    const again = makeAgent(join(dir, 'agent2.db'), join(dir, 'trust'));
    await again.agent.start();
    expect(again.agent.trust.revoked).toBe(true);
    expect(again.agent.trust.revocations.lists().map((l) => `${l.iss}:${l.seq}`).sort()).toEqual(['urn:authority:0:5', 'urn:authority:B:1']);
    await sleep(600);
    expect(again.committed).toEqual([]);
    await again.stop();
    agent = undefined as unknown as PlaceAgent;
  });

  it('says once on the chain, and in status, that the credential expires within 7 days', async () => {
    const soon = await makeChain([{}, { level: 'authority', depth: 1 }, { notAfter: NOW + 3 * DAY }]);
    const { agent: a, store: s, committed: seen, stop } = chainAgent({ chain: soon, db: join(dir, 'soon.db'), clock, clientId: 'soon', trustDir: join(dir, 'soon-trust') });
    await a.start();
    await until(() => seen.length > 5, 'envelopes');
    await a.trust.credential.checkExpiry();
    const notices = seen
      .map((o) => new ObservationVerifier([soon.anchor]).check(o.bytes))
      .flatMap((r) => (r.ok && r.claims.kind === 'status' ? [plain(r.claims.body) as Record<string, unknown>] : []))
      .filter((b) => b.event === 'credential-expiring');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ reason: 'CREDENTIAL_EXPIRES_SOON', expires_ms: (NOW + 3 * DAY) * 1000 });
    const t = agentStatusPort(a, s, a.publisher, {}).trust();
    expect(t.expiring).toBe(true);
    expect(t.expiresAt).toBe((NOW + 3 * DAY) * 1000);
    await stop();
  });
});

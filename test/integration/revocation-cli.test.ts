/**
 * Revocation and renewal as an operator does them, against the real binary and a real
 * mosquitto: `place-agent authority revoke --credential device.cred --broker URL` publishes the
 * root's list retained; the running gateway says once on its chain that its credential is
 * revoked, signs nothing more, and `place-agent status --json` shows it. A broken credential file
 * is refused (the old one kept); `authority issue` writing a new credential for the same key into
 * the configured file is picked up without a restart: the chain goes on under the new `cred`.
 * `verify --revocations` with the root's list then reports the chain as the list judges it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent, waitFor } from './agent-process.ts';
import { signedObservations } from '../support/place-gateway.ts';
import { PlaceRig } from '../../hil/place-rig.ts';
import { freePort } from '../../hil/ports.ts';
import { objectHash } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

const PLACE = 'urn:place:DEHAM:berth:7';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('authority revoke and credential renewal against the running binary', () => {
  let rig: PlaceRig;

  beforeAll(async () => {
    rig = await PlaceRig.start('revoke-cli', PLACE);
  }, 60_000);

  afterAll(() => rig?.close());

  it('stops attesting once its credential is revoked, says so once, and resumes under a renewed credential without a restart', async () => {
    await rig.provision('urn:place-authority:rev');
    const { dir, state, auth } = rig;
    const credFile = join(state, 'device.cred');
    const port = await freePort();
    const agent = rig.run(await rig.configure('gateway.yaml', { envelope: { intervalSeconds: 1 }, metrics: { listen: `127.0.0.1:${port}` } }));
    const db = rig.db;
    const signed = () => signedObservations(db);
    const events = (e: string) => signed().filter((o) => o.kind === 'status' && o.body.event === e);
    await waitFor(() => signed().filter((o) => o.kind === 'envelope').length >= 2, 60_000, 'envelopes');
    const original = new Uint8Array(readFileSync(credFile));

    const revoke = await runAgent(['authority', 'revoke', '--dir', auth, '--credential', credFile, '--broker', rig.broker.url]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/revocation list seq 1 by urn:place-authority:rev \(root\): 1 credential\(s\)/);
    await waitFor(() => events('credential-revoked').length === 1, 20_000, 'the revocation said on the chain');
    const said = events('credential-revoked')[0]!;
    expect(said.body).toMatchObject({ reason: 'CREDENTIAL_REVOKED', link: 0, by: { iss: 'urn:place-authority:rev', seq: 1 } });
    const stopped = signed().at(-1)!.seq;
    expect(stopped).toBe(said.seq);
    await new Promise((r) => setTimeout(r, 2500));
    expect(signed().at(-1)!.seq).toBe(stopped); // nothing signed since, with envelopes due every second

    const status = await runAgent(['status', '--url', `http://127.0.0.1:${port}`, '--json', '--once']);
    expect(status.code, status.stderr).toBe(0);
    const snap = JSON.parse(status.stdout) as { credential: { valid: boolean; revoked?: boolean; detail?: string } };
    expect(snap.credential).toMatchObject({ valid: false, revoked: true });
    expect(snap.credential.detail).toMatch(/revoked \(link 0\) by urn:place-authority:rev, list 1/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^place_agent_credential_revoked 1$/m);
    expect(metrics).toMatch(/^place_agent_revocation_lists 1$/m);

    // A broken file in place of the credential: refused, the old credential kept.
    writeFileSync(credFile, 'not a credential');
    await waitFor(() => agent!.stderr().includes('CREDENTIAL_RENEWAL_REFUSED'), 20_000, 'the broken file to be refused');

    // The authority issues a new credential for the same key into the configured file.
    const issued = await runAgent(['authority', 'issue', '--dir', auth, '--subject', JSON.parse((await runAgent(['keys', 'show', '--state', state, '--json'])).stdout).issuer, '--key', join(state, 'device.pub'), '--places', PLACE, '--out', credFile]);
    expect(issued.code, issued.stderr).toBe(0);
    const renewed = new Uint8Array(readFileSync(credFile));
    await waitFor(() => events('credential-renewed').length === 1, 30_000, 'the renewal picked up');
    const switched = events('credential-renewed')[0]!;
    expect(hex(switched.body.previous as Uint8Array)).toBe(hex(objectHash(original)));
    expect(hex(switched.claims.get(CLAIM.cred) as Uint8Array)).toBe(hex(objectHash(renewed)));
    expect(switched.seq).toBe(stopped + 1); // the same chain goes on
    await waitFor(() => signed().filter((o) => o.seq > switched.seq && o.kind === 'envelope').length >= 2, 20_000, 'envelopes under the renewed credential');
    for (const o of signed().filter((x) => x.seq > switched.seq)) expect(hex(o.claims.get(CLAIM.cred) as Uint8Array)).toBe(hex(objectHash(renewed)));
    expect(events('credential-revoked')).toHaveLength(1);

    // Everything it signed verifies with nothing but the trust anchor.
    const out = join(dir, 'chain.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out])).code).toBe(0);
    const v = await runAgent(['verify', '--anchor', join(auth, 'anchor.cose'), '--file', out, '--quiet']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // With the root's list, verify reports what the revoked credential signed after the list was
    // made (only what the gateway signed before it heard of the list) and takes the gateway's own
    // credential-revoked announcement for what it is; nothing under the renewed credential counts.
    const list = join(auth, 'revocations', readdirSync(join(auth, 'revocations')).find((f) => f.endsWith('.cose'))!);
    const withList = await runAgent(['verify', '--anchor', join(auth, 'anchor.cose'), '--file', out, '--revocations', list]);
    expect(withList.stdout).toMatch(new RegExp(`^seq ${said.seq}: observation seq ${said.seq} says its credential is revoked.*: REVOKED_ANNOUNCED$`, 'm'));
    const flagged = [...withList.stdout.matchAll(/^seq (\d+): REVOKED_SIGNER/gm)].map((m) => Number(m[1]));
    expect(flagged.filter((s) => s >= said.seq)).toEqual([]);
    expect(withList.code, withList.stdout + withList.stderr).toBe(flagged.length ? 1 : 0);

    agent.proc.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 180_000);
});

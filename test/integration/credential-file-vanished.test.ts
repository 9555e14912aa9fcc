/**
 * The credential file vanishes while the running binary polls it for renewal (an installer that
 * deletes before it writes, a mistaken `rm`): the change is logged as CREDENTIAL_FILE_UNREADABLE
 * and counted once on /metrics (place_agent_errors_total{component="agent"}) and in
 * /status.json, the credential in use is kept (envelopes go on under it), nothing crashes; a renewed credential
 * written to the same path afterwards is picked up without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent, waitFor } from './agent-process.ts';
import { signedObservations, unverified } from '../support/place-gateway.ts';
import { PlaceRig } from '../../hil/place-rig.ts';
import { objectHash } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';
import { freePort } from '../../hil/ports.ts';
import type { AgentStatus } from '../../agent/ops/status.ts';

const PLACE = 'urn:place:DEHAM:berth:12';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the credential file vanishing under the renewal poll, in the running binary', () => {
  let rig: PlaceRig;

  beforeAll(async () => {
    rig = await PlaceRig.start('cred-gone', PLACE);
  }, 60_000);

  afterAll(() => rig?.close());

  it('logs CREDENTIAL_FILE_UNREADABLE, keeps signing under the old credential, and picks up a renewal written afterwards', async () => {
    await rig.provision('urn:place-authority:gone');
    const { state, auth } = rig;
    const credFile = join(state, 'device.cred');
    const ops = `http://127.0.0.1:${await freePort()}`;
    const cfg = await rig.configure('gateway.yaml', { envelope: { intervalSeconds: 1 }, metrics: { listen: ops.slice('http://'.length) } });
    const unreadableCounted = async () => Number(/^place_agent_errors_total\{component="agent",code="CREDENTIAL_FILE_UNREADABLE"\} (\d+)$/m.exec(await (await fetch(`${ops}/metrics`)).text())?.[1] ?? 0);
    const agent = rig.run(cfg);
    const db = rig.db;
    const signed = () => signedObservations(db);
    const credOf = (o: { claims: Map<number, unknown> }) => hex(o.claims.get(CLAIM.cred) as Uint8Array);
    const envelopesAfter = (seq: number) => signed().filter((o) => o.seq > seq && o.kind === 'envelope');
    await waitFor(() => envelopesAfter(0).length >= 2, 60_000, 'envelopes');
    const original = hex(objectHash(new Uint8Array(readFileSync(credFile))));

    rmSync(credFile);
    const gone = signed().at(-1)!.seq;
    // The poll (every 5 s) sees the change and cannot read the file.
    await waitFor(() => agent!.stderr().includes('CREDENTIAL_FILE_UNREADABLE'), 20_000, 'the vanished file noticed');
    expect(agent.stderr()).toMatch(/a credential file changed but cannot be read; the credential in use is kept.*CREDENTIAL_FILE_UNREADABLE/);
    // Counted once, for the one change, where an operator looks.
    expect(await unreadableCounted()).toBe(1);
    await waitFor(() => envelopesAfter(gone).length >= 3, 20_000, 'envelopes with the file gone');
    for (const o of signed().filter((x) => x.seq > gone)) expect(credOf(o)).toBe(original);
    expect(agent.proc.exitCode).toBeNull();

    // The authority writes a renewed credential for the same key to the same path.
    const issuer = (JSON.parse((await runAgent(['keys', 'show', '--state', state, '--json'])).stdout) as { issuer: string }).issuer;
    const issued = await runAgent(['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', join(state, 'device.pub'), '--places', PLACE, '--out', credFile]);
    expect(issued.code, issued.stderr).toBe(0);
    const renewed = hex(objectHash(new Uint8Array(readFileSync(credFile))));
    expect(renewed).not.toBe(original);
    await waitFor(() => signed().some((o) => o.kind === 'status' && o.body.event === 'credential-renewed'), 30_000, 'the renewal picked up');
    const switched = signed().find((o) => o.kind === 'status' && o.body.event === 'credential-renewed')!;
    expect(hex(switched.body.previous as Uint8Array)).toBe(original);
    expect(credOf(switched)).toBe(renewed);
    await waitFor(() => envelopesAfter(switched.seq).length >= 2, 20_000, 'envelopes under the renewed credential');
    for (const o of signed().filter((x) => x.seq > switched.seq)) expect(credOf(o)).toBe(renewed);
    // The renewal is no error: the agent's counts still hold the one unreadable file, nothing refused.
    expect(await unreadableCounted()).toBe(1);
    const status = (await (await fetch(`${ops}/status.json`)).json()) as AgentStatus;
    expect(status.errors?.agent).toEqual({ CREDENTIAL_FILE_UNREADABLE: 1 });

    expect(unverified(db, rig.anchor)).toEqual([]);
    agent.proc.kill('SIGTERM');
    expect(await agent.exited, agent.stderr()).toBe(0);
  }, 180_000);
});

/**
 * The trust state directory (`<stateDir>/trust`: kept revocation lists, notices already said)
 * cannot be written, in the running binary. The agent keeps signing: a notice it signs (its
 * credential expiring within 7 days) is on the chain, the failed record is logged as
 * TRUST_STATE_UNWRITABLE and counted where an operator looks (place_agent_errors_total
 * {component="agent", code="TRUST_STATE_UNWRITABLE"} on /metrics), and the documented cost is that it is said again after a restart;
 * once the directory is writable the notice is recorded and a further restart does not repeat it.
 *
 * This machine runs the tests as root, whom file modes do not stop, so a regular file stands
 * where the directory should be: every write under it fails (EEXIST/ENOTDIR) as on a read-only
 * mount.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent, waitFor } from './agent-process.ts';
import { signedObservations, unverified } from '../support/place-gateway.ts';
import { PlaceRig } from '../../hil/place-rig.ts';
import { freePort } from '../../hil/ports.ts';

const PLACE = 'urn:place:DEHAM:berth:11';

describe('an unwritable trust state directory, in the running binary', () => {
  let rig: PlaceRig;

  beforeAll(async () => {
    rig = await PlaceRig.start('trust-ro', PLACE);
  }, 60_000);

  afterAll(() => rig?.close());

  it('counts and logs the failed record, keeps signing, and says the notice again only until it can be recorded', async () => {
    await rig.provision('urn:place-authority:ro');
    const { state, auth } = rig;
    // A credential for three days: the agent says at start that it expires within 7.
    const issuer = (JSON.parse((await runAgent(['keys', 'show', '--state', state, '--json'])).stdout) as { issuer: string }).issuer;
    const issued = await runAgent(['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', join(state, 'device.pub'), '--places', PLACE, '--days', '3', '--out', join(state, 'device.cred')]);
    expect(issued.code, issued.stderr).toBe(0);
    const ops = `127.0.0.1:${await freePort()}`;
    const cfg = await rig.configure('gateway.yaml', { envelope: { intervalSeconds: 1 }, metrics: { listen: ops } });
    const trustDir = join(state, 'trust');
    writeFileSync(trustDir, 'not a directory\n');

    const db = rig.db;
    const signed = () => signedObservations(db);
    const expiring = () => signed().filter((o) => o.kind === 'status' && o.body.event === 'credential-expiring');
    const envelopes = () => signed().filter((o) => o.kind === 'envelope').length;
    const unwritableCount = /^place_agent_errors_total\{component="agent",code="TRUST_STATE_UNWRITABLE"\} (\d+)$/m;
    /** One run of the binary until it has said the notice and signed two envelopes after it; its stderr, and the failed records /metrics counted then. */
    const run = async (what: string): Promise<{ stderr: string; counted: number }> => {
      const agent = rig.run(cfg);
      const before = envelopes();
      await waitFor(() => envelopes() >= before + 2, 60_000, `envelopes (${what})`);
      const metrics = await (await fetch(`http://${ops}/metrics`)).text();
      expect(metrics).toMatch(/^place_agent_observations_signed_total\{kind="envelope"\} [1-9]/m);
      agent.proc.kill('SIGTERM');
      expect(await agent.exited, agent.stderr()).toBe(0);
      return { stderr: agent.stderr(), counted: Number(unwritableCount.exec(metrics)?.[1] ?? 0) };
    };

    const first = await run('trust directory unwritable');
    expect(expiring()).toHaveLength(1);
    expect(first.stderr).toMatch(/could not record that a notice was signed.*TRUST_STATE_UNWRITABLE/);
    expect(first.counted).toBe(1);
    expect(existsSync(join(trustDir, 'notices.json'))).toBe(false);

    // Still unwritable: nothing recorded that it was said, so it is said again.
    const second = await run('still unwritable');
    expect(expiring()).toHaveLength(2);
    expect(second.stderr).toMatch(/TRUST_STATE_UNWRITABLE/);
    expect(second.counted).toBe(1);

    // Writable again: said once more (the record was lost), now recorded, then not repeated.
    rmSync(trustDir);
    const third = await run('writable');
    expect(expiring()).toHaveLength(3);
    expect(third.stderr).not.toMatch(/TRUST_STATE_UNWRITABLE/);
    expect(third.counted).toBe(0);
    expect(existsSync(join(trustDir, 'notices.json'))).toBe(true);
    await run('after the record');
    expect(expiring()).toHaveLength(3);

    expect(unverified(db, rig.anchor)).toEqual([]);
  }, 240_000);
});

/**
 * A unit's acceptance made with the command line alone, as a user would: an authority, a key
 * for the vessel (`keys init`), its `unit` credential (`authority issue --level unit --units`),
 * a grant, then `unit accept`; `verify` reads grant and acceptance together. What the tools
 * refuse: a unit credential for any unit (`--units` left at *), a gateway credential signing an
 * acceptance, a grant for another vessel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../support/cli-in-process.ts';
import { verifyAcceptance } from '../../agent/authority/acceptance.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';

const PLACE = 'urn:place:DEHAM:berth:42';
let dir: string;
const p = (f: string) => join(dir, f);

const ok = async (args: string[]) => {
  const r = await runInProcess(args);
  if (r.code !== 0) throw new Error(`place-agent ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-unit-accept-'));
  await ok(['authority', 'init', '--dir', p('auth'), '--name', 'urn:place-authority:test']);
  for (const who of ['vessel', 'gw']) {
    await ok(['keys', 'init', '--state', p(who)]);
    await ok(['keys', 'show', '--state', p(who), '--public-out', p(`${who}.pub`)]);
  }
  await ok(['authority', 'issue', '--dir', p('auth'), '--subject', 'urn:unit:mmsi:211331640', '--key', p('vessel.pub'), '--places', 'urn:place:DEHAM:*', '--level', 'unit', '--units', 'mmsi:211331640', '--out', p('vessel.cred')]);
  await ok(['authority', 'issue', '--dir', p('auth'), '--subject', 'urn:place-agent:01aa', '--key', p('gw.pub'), '--places', PLACE, '--out', p('gw.cred')]);
  const now = Date.now();
  for (const [r, unit] of [['R1', 'mmsi:211331640'], ['R2', 'mmsi:244660000']] as const) {
    await ok(['authority', 'grant', '--dir', p('auth'), '--place', PLACE, '--reservation', r, '--unit', unit, '--start', String(now - 60_000), '--end', String(now + 3_600_000), '--out', p(`${r}.grant`)]);
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const accept = (over: string[] = []) =>
  runInProcess(['unit', 'accept', '--key', p('vessel/device.key'), '--credential', p('vessel.cred'), '--chain', p('auth/root.cred'), '--grant', p('R1.grant'), '--anchor', p('auth/anchor.cose'), '--out', p('R1.accept'), ...over]);

describe('place-agent unit accept', () => {
  it('signs an acceptance that verifies against its grant, with the unit position when given, and verify reads both', async () => {
    const r = await accept(['--lat', '53.54', '--lon', '9.98', '--accuracy', '10']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/signed acceptance .*R1\.accept of grant R1 for mmsi:211331640 by urn:unit:mmsi:211331640/);
    const bytes = new Uint8Array(readFileSync(p('R1.accept')));
    const v = verifyAcceptance(bytes, [loadTrustAnchor(p('auth/anchor.cose'))]);
    if (!v.ok) return expect.fail(`${v.code}: ${v.reason}`);
    expect(v.acceptance.location).toMatchObject({ lat: 53.54, lon: 9.98, accuracyM: 10 });
    writeFileSync(p('both.cbor'), Buffer.concat([readFileSync(p('R1.grant')), bytes]));
    const ver = await runInProcess(['verify', '--anchor', p('auth/anchor.cose'), '--file', p('both.cbor')]);
    expect(ver.code, ver.stdout + ver.stderr).toBe(0);
    expect(ver.stdout).toMatch(/^item 1: acceptance R1 by urn:unit:mmsi:211331640 .* against grant h=[0-9a-f]{16} in this input: ACCEPT_OK$/m);
  });

  it('refuses to issue a unit credential that names no unit', async () => {
    const r = await runInProcess(['authority', 'issue', '--dir', p('auth'), '--subject', 'urn:unit:any', '--key', p('vessel.pub'), '--places', PLACE, '--level', 'unit', '--out', p('any.cred')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ISSUE_REFUSED: .*a unit credential names the units it speaks for/);
    expect(existsSync(p('any.cred'))).toBe(false);
  });

  it('refuses a gateway credential, and a grant for a unit the credential does not name, writing nothing', async () => {
    const gw = await runInProcess(['unit', 'accept', '--key', p('gw/device.key'), '--credential', p('gw.cred'), '--chain', p('auth/root.cred'), '--grant', p('R1.grant'), '--anchor', p('auth/anchor.cose'), '--out', p('gw.accept')]);
    expect(gw.stderr).toMatch(/ACCEPT_REFUSED: .*a gateway credential; only a unit credential signs acceptances/);
    expect(existsSync(p('gw.accept'))).toBe(false);
    const other = await accept(['--grant', p('R2.grant'), '--out', p('R2.accept')]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/ACCEPT_REFUSED: refusing to sign an acceptance that could not verify: ACCEPT_UNIT_OUT_OF_SCOPE/);
    expect(existsSync(p('R2.accept'))).toBe(false);
  });

  it('refuses a position given in part', async () => {
    const r = await accept(['--lat', '53.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/USAGE: --lat, --lon and --accuracy go together/);
  });
});

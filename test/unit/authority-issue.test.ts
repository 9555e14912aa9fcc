/**
 * `place-agent authority issue` and `grant` (DESIGN.md, "Authority taxonomy": issuing tools
 * refuse to make a credential that could not verify). Run in-process against a fresh
 * development authority directory; what is written is checked with the verifier a
 * counterparty runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand } from '../../agent/cli/args.ts';
import { coseKeyFromPublic } from '../../agent/encoding/cose-key.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { loadAuthority } from '../../agent/authority/authority-dir.ts';
import { verifyCredentialChain } from '../../agent/authority/chain.ts';
import { parseCredentialClaims } from '../../agent/authority/credential.ts';
import { verifyGrant } from '../../agent/authority/grant.ts';
import { TYP_GRANT, TYP_OBS, decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { createKeyFile } from '../../agent/signing/software-signer.ts';
import { writeFileSync } from 'node:fs';
import { OBSERVATION_KINDS } from '../../agent/authority/levels.ts';

const PLACE = 'urn:place:DEHAM:berth:42';
let dir: string;
let auth: string;
let deviceKey: string;

/** `place-agent authority <sub> ...args` as the CLI parses and runs it, in this process. */
async function cmd(sub: string, ...args: string[]): Promise<number> {
  const spec = COMMANDS.find((c) => c.name === `authority ${sub}`)!;
  return (await spec.load())(parseCommand(spec, args));
}
/** A new key pair: the private key file (a signer's) and the public COSE_Key handed to the authority. */
async function keyPair(path: string): Promise<string> {
  const pub = `${path}.pub.cose`;
  writeFileSync(pub, encodeDeterministic(coseKeyFromPublic(await createKeyFile(path).publicKey())));
  return pub;
}
async function refusal(...args: string[]): Promise<string> {
  try {
    await cmd(args[0]!, ...args.slice(1));
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return 'issued';
}
const read = (f: string) => new Uint8Array(readFileSync(f));
const claimsOf = (f: string) => parseCredentialClaims(decodeSign1(read(f)).payload)!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-issue-'));
  auth = join(dir, 'auth');
  expect(await cmd('init', '--dir', auth, '--places', 'urn:place:DEHAM:*')).toBe(0);
  deviceKey = await keyPair(join(dir, 'device.key'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('authority issue', () => {
  it('defaults a gateway to the observation kinds: its observations verify, a grant signed with it would not', async () => {
    const out = join(dir, 'gw.cred');
    expect(await cmd('issue', '--dir', auth, '--subject', 'urn:place-agent:01aa', '--key', deviceKey, '--places', PLACE, '--out', out)).toBe(0);
    const c = claimsOf(out);
    expect(c.level).toBe('gateway');
    expect(c.depth).toBe(0);
    expect(c.scope.kinds).toEqual([...OBSERVATION_KINDS]);
    const a = loadAuthority(auth);
    const now = Math.floor(Date.now() / 1000);
    expect(verifyCredentialChain(read(out), [a.rootCredential], [a.anchor], now, { place: PLACE, kind: 'presence', typ: TYP_OBS }).ok).toBe(true);
    const g = verifyCredentialChain(read(out), [a.rootCredential], [a.anchor], now, { place: PLACE, kind: 'grant', typ: TYP_GRANT });
    expect(g.ok ? 'OK' : g.code).toBe('CHAIN_LEVEL_MAY_NOT_SIGN');
  });

  it.each([
    ['a gateway with kinds *', ['--kinds', '*'], /gateway signs observation kinds only/],
    ['a gateway allowed to grant', ['--kinds', 'presence,grant'], /not grant/],
    ['a gateway that delegates', ['--depth', '1'], /depth must be 0/],
    ['a depth at or above the root\'s', ['--level', 'authority', '--depth', '3'], /depth 3 must be below the parent's 3/],
    ['a second root', ['--level', 'root'], /root credential is the trust anchor/],
    ['an unknown level', ['--level', 'device'], /level device is not one of/],
    ['a validity past the root\'s', ['--days', '4000'], /expiry lies past the parent's/],
    ['places outside the root\'s', ['--places', 'urn:place:NLRTM:*'], /CHAIN_SCOPE_OUTSIDE_PARENT/],
    ['a window wider than the root\'s', ['--max-window-ms', String(31 * 86_400_000)], /CHAIN_SCOPE_OUTSIDE_PARENT/],
  ])('refuses %s (ISSUE_REFUSED) and writes nothing', async (_what, extra, why) => {
    const out = join(dir, `refused-${Math.random().toString(36).slice(2)}.cred`);
    const args = ['issue', '--dir', auth, '--subject', 'urn:x:1', '--key', deviceKey, '--places', PLACE, '--out', out, ...extra];
    const r = await refusal(...args);
    expect(r).toMatch(/^ISSUE_REFUSED: /);
    expect(r).toMatch(why);
    expect(existsSync(out)).toBe(false);
  });

  it('issues under an intermediate authority with --parent, and that chain of three verifies', async () => {
    const opKey = join(dir, 'operator.key');
    const opPub = await keyPair(opKey);
    const opCred = join(dir, 'operator.cred');
    expect(await cmd('issue', '--dir', auth, '--subject', 'urn:operator:terminal-7', '--key', opPub, '--places', 'urn:place:DEHAM:berth:*', '--level', 'authority', '--out', opCred)).toBe(0);
    expect(claimsOf(opCred).depth).toBe(2);
    const gw = join(dir, 'gw-under-op.cred');
    expect(
      await cmd('issue', '--dir', auth, '--subject', 'urn:place-agent:01bb', '--key', deviceKey, '--places', PLACE, '--parent', opCred, '--parent-key', opKey, '--out', gw),
    ).toBe(0);
    expect(claimsOf(gw).iss).toBe('urn:operator:terminal-7');
    const a = loadAuthority(auth);
    const r = verifyCredentialChain(read(gw), [read(opCred), a.rootCredential], [a.anchor], Math.floor(Date.now() / 1000), { place: PLACE, kind: 'envelope', typ: TYP_OBS });
    expect(r.ok ? 'OK' : `${r.code} ${r.reason}`).toBe('OK');
    // The operator's scope is berths only: a dock is refused under it.
    expect(await refusal('issue', '--dir', auth, '--subject', 'urn:x:1', '--key', deviceKey, '--places', 'urn:place:DEHAM:dock:1', '--parent', opCred, '--parent-key', opKey, '--out', join(dir, 'dock.cred'))).toMatch(
      /ISSUE_REFUSED: .*CHAIN_SCOPE_OUTSIDE_PARENT/,
    );
  });
});

describe('authority grant', () => {
  it('signs grants with the authority-level grantor, which verify; refuses one a gateway would refuse', async () => {
    const now = Date.now();
    const out = join(dir, 'R1.grant');
    expect(await cmd('grant', '--dir', auth, '--place', PLACE, '--reservation', 'R1', '--unit', 'mmsi:211331640', '--start', String(now), '--end', String(now + 3_600_000), '--out', out)).toBe(0);
    const v = verifyGrant(read(out), [loadAuthority(auth).anchor], now, PLACE);
    expect(v.ok ? 'OK' : v.code).toBe('OK');
    const tooLong = await refusal('grant', '--dir', auth, '--place', PLACE, '--reservation', 'R2', '--unit', 'mmsi:1', '--start', String(now), '--end', String(now + 40 * 86_400_000), '--out', join(dir, 'R2.grant'));
    expect(tooLong).toMatch(/^GRANT_REFUSED: .*GRANT_WINDOW_TOO_LONG/);
    expect(existsSync(join(dir, 'R2.grant'))).toBe(false);
  });
});

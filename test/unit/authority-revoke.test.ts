/**
 * `place-agent authority revoke` (DESIGN.md, "Revocation list"): each run makes the issuer's
 * next list (seq + 1, previous entries kept unless --replace), keeps it in the authority
 * directory, and refuses a list that could not verify. What is written is checked with the
 * verifier a gateway runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand } from '../../agent/cli/args.ts';
import { loadAuthority, type Authority } from '../../agent/authority/authority-dir.ts';
import { verifyRevocationList } from '../../agent/authority/revocation.ts';
import { coseKeyFromPublic, coseKeyThumbprint } from '../../agent/encoding/cose-key.ts';
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { decodeSign1, objectHash } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { createKeyFile } from '../../agent/signing/software-signer.ts';
import { CLAIM } from '../../agent/lineage/observation-types.ts';
import { revocationTopic } from '../../agent/transport/topics.ts';
import { startMosquitto, writePasswordFile } from '../../hil/mosquitto.ts';
import mqtt from 'mqtt';

let dir: string;
let auth: string;
let a: Authority;
let gatewayCred: string;
let gatewayKey: string;

async function cmd(sub: string, ...args: string[]): Promise<number> {
  const spec = COMMANDS.find((c) => c.name === `authority ${sub}`)!;
  return (await spec.load())(parseCommand(spec, args));
}
async function refusal(...args: string[]): Promise<string> {
  try {
    await cmd('revoke', ...args);
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return 'made';
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const read = (f: string) => new Uint8Array(readFileSync(f));
const listAt = (f: string) => {
  const r = verifyRevocationList(read(f), [a.anchor], Date.now());
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.list;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-revoke-'));
  auth = join(dir, 'auth');
  expect(await cmd('init', '--dir', auth, '--places', 'urn:place:DEHAM:*')).toBe(0);
  a = loadAuthority(auth);
  gatewayKey = join(dir, 'gw.key');
  const pub = `${gatewayKey}.pub.cose`;
  writeFileSync(pub, encodeDeterministic(coseKeyFromPublic(await createKeyFile(gatewayKey).publicKey())));
  gatewayCred = join(dir, 'gw.cred');
  expect(await cmd('issue', '--dir', auth, '--subject', 'urn:place-agent:01aabbccddeeff00112233445566778899', '--key', pub, '--places', 'urn:place:DEHAM:berth:42', '--out', gatewayCred)).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('authority revoke', () => {
  it('makes the root issuer\'s list 1, then 2 keeping list 1\'s entries, then 3 with --replace; each verifies', async () => {
    const kept = join(auth, 'revocations', `${hex(a.anchor.kid)}.cose`);
    expect(await cmd('revoke', '--dir', auth, '--credential', gatewayCred, '--out', join(dir, 'one.cose'))).toBe(0);
    const one = listAt(kept);
    expect(one.seq).toBe(1);
    expect(one.revoked.map(hex)).toEqual([hex(objectHash(read(gatewayCred)))]);
    expect(read(join(dir, 'one.cose'))).toEqual(read(kept));

    const cti = 'aa'.repeat(16);
    expect(await cmd('revoke', '--dir', auth, '--grant-cti', cti)).toBe(0);
    const two = listAt(kept);
    expect(two.seq).toBe(2);
    expect(two.revoked.map(hex)).toEqual(one.revoked.map(hex));
    expect(two.grants.map(hex)).toEqual([cti]);

    const other = 'bb'.repeat(32);
    expect(await cmd('revoke', '--dir', auth, '--hash', other, '--replace', '--next-hours', '2')).toBe(0);
    const three = listAt(kept);
    expect(three.seq).toBe(3);
    expect(three.revoked.map(hex)).toEqual([other]);
    expect(three.grants).toEqual([]);
    expect(Math.abs(three.nextMs - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);
  });

  it('refuses a seq that is not above the issuer\'s last list', async () => {
    expect(await refusal('--dir', auth, '--seq', '2', '--hash', 'cc'.repeat(32))).toMatch(/^USAGE: --seq 2 must be above the issuer's last list, seq 3/);
  });

  it('signs as an intermediate authority with --parent, in its own numbering, and takes grant files by cti', async () => {
    const grant = join(dir, 'R1.grant');
    expect(await cmd('grant', '--dir', auth, '--place', 'urn:place:DEHAM:berth:42', '--reservation', 'R1', '--unit', 'mmsi:211331640', '--start', String(Date.now() + 60_000), '--end', String(Date.now() + 3_600_000), '--out', grant)).toBe(0);
    expect(await cmd('revoke', '--dir', auth, '--parent', join(auth, 'grantor.cred'), '--parent-key', join(auth, 'grantor.key'), '--grant', grant)).toBe(0);
    const kid = hex(coseKeyThumbprint(await a.grantor.signer.publicKey()));
    const l = listAt(join(auth, 'revocations', `${kid}.cose`));
    expect(l.seq).toBe(1);
    expect(l.level).toBe('authority');
    expect(l.iss).toBe(`${a.name}:grantor`);
    const cti = (decodeCbor(decodeSign1(read(grant)).payload) as Map<number, unknown>).get(CLAIM.cti) as Uint8Array;
    expect(l.grants.map(hex)).toEqual([hex(cti)]);
  });

  it('refuses to make a list signed by a gateway credential, and writes nothing for it', async () => {
    const out = join(dir, 'gw-list.cose');
    expect(await refusal('--dir', auth, '--parent', gatewayCred, '--parent-key', gatewayKey, '--hash', 'dd'.repeat(32), '--out', out)).toMatch(/^REVOKE_REFUSED: .*a gateway credential may not sign application\/place-revoke\+cwt/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('publishes the list retained to a broker that requires a login, and is refused without one', async () => {
    const pw = join(dir, 'broker.passwd');
    writePasswordFile(pw, { authority: 's3cret' });
    const broker = await startMosquitto({ passwordFile: pw });
    try {
      const pwFile = join(dir, 'authority.pw');
      writeFileSync(pwFile, 's3cret\n', { mode: 0o600 });
      expect(await refusal('--dir', auth, '--hash', 'ee'.repeat(32), '--broker', broker.url)).toMatch(/^BROKER_UNREACHABLE: /);
      expect(await cmd('revoke', '--dir', auth, '--hash', 'ee'.repeat(32), '--broker', broker.url, '--username', 'authority', '--password-file', pwFile)).toBe(0);
      const kept = read(join(auth, 'revocations', `${hex(a.anchor.kid)}.cose`));
      // A subscriber that arrives later gets the list: it is retained.
      const sub = await mqtt.connectAsync(broker.url, { username: 'authority', password: 's3cret' });
      const got = new Promise<Buffer>((r) => sub.on('message', (_t, p) => r(p)));
      await sub.subscribeAsync(revocationTopic(hex(a.anchor.kid)), { qos: 1 });
      expect(new Uint8Array(await got)).toEqual(kept);
      await sub.endAsync();
    } finally {
      await broker.dispose();
    }
    expect(await refusal('--dir', auth, '--hash', 'ee'.repeat(32), '--username', 'x')).toMatch(/^USAGE: --username applies to --broker only/);
  }, 60_000);

  it('refuses malformed entries as usage errors naming the flag', async () => {
    expect(await refusal('--dir', auth, '--hash', 'abc')).toMatch(/^USAGE: --hash "abc": expected 32 bytes in hex/);
    expect(await refusal('--dir', auth, '--grant-cti', 'aa'.repeat(32))).toMatch(/^USAGE: --grant-cti .*expected 16 bytes/);
    expect(await refusal('--dir', auth, '--credential', join(dir, 'missing.cred'))).toMatch(/^INPUT_UNREADABLE/);
  });
});

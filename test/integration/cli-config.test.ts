/**
 * `config check` refuses what `run` refuses, with the same message, short of opening devices:
 * a Modbus profile typo, a missing credential or anchor, a credential that does not cover the
 * place, a key readable by others. Profiles load from a file path relative to the
 * configuration, and the energy meter's limit comes from the place (the max_kw dimension).
 * Provisioning goes the way an operator would: keys init, keys show --public-out, authority issue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from './agent-process.ts';
import { loadConfigFile } from '../../agent/config/load.ts';
import { resolveModbusProfiles } from '../../agent/config/modbus-profiles.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { publicFromCoseKey } from '../../agent/encoding/cose-key.ts';

const PLACE = 'urn:place:DEBER:charger:7';

describe('config check = what run checks', () => {
  let dir: string;
  let state: string;
  let auth: string;
  let issuer: string;

  const yaml = (name: string, extra = '', place = PLACE): string => {
    const f = join(dir, name);
    writeFileSync(f, `place: ${place}\nstateDir: ${state}\nmetrics:\n  enabled: false\nmqtt:\n  url: mqtt://127.0.0.1:1\n${extra}`);
    return f;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-cli-config-'));
    state = join(dir, 'state');
    auth = join(dir, 'authority');
    expect((await runAgent(['keys', 'init', '--state', state])).code).toBe(0);
    expect((await runAgent(['authority', 'init', '--dir', auth])).code).toBe(0);
    const pub = join(dir, 'device.pub.cose');
    const show = await runAgent(['keys', 'show', '--state', state, '--json', '--public-out', pub]);
    expect(show.code, show.stderr).toBe(0);
    const info = JSON.parse(show.stdout) as { issuer: string; publicKey: string };
    issuer = info.issuer;
    // The handed-over file is the public COSE_Key and nothing more.
    const key = decodeCbor(readFileSync(pub)) as Map<number, unknown>;
    expect(Buffer.from(publicFromCoseKey(key as never)).toString('hex')).toBe(info.publicKey);
    expect(key.has(-4)).toBe(false);
    const issued = await runAgent(['authority', 'issue', '--dir', auth, '--subject', issuer, '--key', pub, '--places', 'urn:place:DEBER:*', '--out', join(state, 'device.cred')]);
    expect(issued.code, issued.stderr).toBe(0);
    writeFileSync(join(dir, 'my-meter.json'), JSON.stringify({ name: 'my-meter', points: [{ name: 'available_power', function: 4, address: 52, type: 'f32', scale: 0.001, subtractFrom: 11, unit: 'kW', modality: 'meter' }] }));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Both commands on one file: config check's message must be run's. */
  async function bothRefuse(file: string, code: string, exit: number): Promise<string> {
    const check = await runAgent(['config', 'check', file]);
    const run = await runAgent(['run', '--config', file]);
    const line = (s: string): string => s.split('\n').filter((l) => l.startsWith('place-agent: ') && !l.includes('overrides')).join('\n');
    expect(check.code, check.stderr).toBe(exit);
    expect(run.code, run.stderr).toBe(exit);
    expect(line(check.stderr)).toMatch(new RegExp(`^place-agent: ${code}: `));
    expect(line(run.stderr)).toBe(line(check.stderr));
    return check.stderr;
  }

  it('passes a complete configuration and says what it checked', async () => {
    const r = await runAgent(['config', 'check', yaml('ok.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`credential ${join(state, 'device.cred')} for ${issuer}, covering ${PLACE}`);
  }, 240_000);

  it('refuses a Modbus profile name with a typo, as run does', async () => {
    const f = yaml('typo.yaml', 'sources:\n  - id: meter\n    type: modbus\n    port: /dev/null\n    slaves:\n      - unit: 1\n        profile: energy-metre\n');
    const msg = await bothRefuse(f, 'CONFIG_INVALID', 2);
    expect(msg).toContain('/sources/0/slaves/0/profile: got "energy-metre", expected one of');
  }, 240_000);

  it('refuses a missing credential and a missing trust anchor, as run does', async () => {
    expect(await bothRefuse(yaml('nocred.yaml', `credential:\n  file: ${join(dir, 'nope.cred')}\n`), 'IDENTITY_NO_CREDENTIAL', 2)).toContain('nope.cred');
    expect(await bothRefuse(yaml('noanchor.yaml', `trustAnchors:\n  - ${join(dir, 'nope.cose')}\n`), 'ANCHOR_UNREADABLE', 2)).toContain('nope.cose');
  }, 240_000);

  it('refuses a place the credential does not cover, as run does', async () => {
    const msg = await bothRefuse(yaml('elsewhere.yaml', '', 'urn:place:DEHAM:berth:42'), 'CREDENTIAL_SCOPE', 2);
    expect(msg).toContain('urn:place:DEHAM:berth:42');
  }, 240_000);

  it('refuses a key readable by others, as run does', async () => {
    const other = join(dir, 'loose');
    mkdirSync(other);
    for (const f of ['device.key', 'device.id', 'device.cred']) copyFileSync(join(state, f), join(other, f));
    chmodSync(join(other, 'device.key'), 0o644);
    const f = join(dir, 'loose.yaml');
    writeFileSync(f, `place: ${PLACE}\nstateDir: ${other}\nmetrics:\n  enabled: false\n`);
    expect(await bothRefuse(f, 'KEY_PERMISSIONS', 3)).toContain('chmod 600');
  }, 240_000);

  it('refuses a TPM configuration with a software key in its state directory, as run does, before any TPM is contacted', async () => {
    // Nothing listens on port 1: run would say TPM_UNREACHABLE if it got as far as the TPM.
    const f = yaml('tpm.yaml', 'signer:\n  kind: tpm\n  tcti: swtpm:host=127.0.0.1,port=1\n');
    expect(await bothRefuse(f, 'KEY_SOFTWARE_WITH_TPM', 2)).toContain(join(state, 'device.key'));
  }, 240_000);

  it('loads a Modbus profile from a path relative to the configuration, with the limit from the place (max_kw)', async () => {
    const src = 'sources:\n  - id: meter\n    type: modbus\n    port: /dev/null\n    slaves:\n      - unit: 1\n        profile: ./my-meter.json\n      - unit: 2\n        profile: energy-meter\n';
    const f = yaml('charger.yaml', `envelope:\n  placeType: charger\n  dims:\n    max_kw: { value: 150 }\n${src}`);
    const r = await runAgent(['config', 'check', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('meter/0: my-meter');
    const profiles = resolveModbusProfiles(loadConfigFile(f));
    expect(profiles.get('meter/0')!.points[0]!.subtractFrom).toBe(150);
    expect(profiles.get('meter/1')!.points.find((p) => p.name === 'available_power')!.subtractFrom).toBe(150);
    // A profile file that is not there is refused by both, naming the slave's path in the file.
    const msg = await bothRefuse(yaml('noprofile.yaml', src.replace('./my-meter.json', './nope.json')), 'CONFIG_INVALID', 2);
    expect(msg).toContain('/sources/0/slaves/0/profile: cannot read profile');
  }, 240_000);
});

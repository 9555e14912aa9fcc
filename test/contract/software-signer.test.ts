/**
 * The software Signer against the Signer contract, and its key file: created 0600, refused
 * when group or others can read it (the agent must not start on a key other local users can
 * copy), and clear coded errors for a missing, unreadable or already existing key.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signerContract } from './signer.contract.ts';
import { SoftwareSigner, createKeyFile, loadKeyFile, KeyError } from '../../agent/signing/software-signer.ts';
import { CodedError } from '../../core/coded-error.ts';

signerContract('software', async () => SoftwareSigner.generate());
const dir = mkdtempSync(join(tmpdir(), 'place-agent-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): CodedError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeyError);
    return e as CodedError;
  }
  return expect.fail('expected a KeyError');
}

describe('software key file', () => {
  it('is created with mode 0600 and loads back to the same public key', async () => {
    const path = join(dir, 'state', 'device.key');
    const created = createKeyFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const loaded = loadKeyFile(path);
    expect(Buffer.from(await loaded.publicKey()).equals(Buffer.from(await created.publicKey()))).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('refuses to overwrite an existing key with KEY_EXISTS and leaves it untouched', () => {
    const path = join(dir, 'exists.key');
    createKeyFile(path);
    const before = readFileSync(path);
    const e = codeOf(() => createKeyFile(path));
    expect(e.code).toBe('KEY_EXISTS');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a key with mode %o with KEY_PERMISSIONS naming the path', (mode) => {
    const path = join(dir, `open-${mode.toString(8)}.key`);
    createKeyFile(path);
    chmodSync(path, mode);
    const e = codeOf(() => loadKeyFile(path));
    expect(e.code).toBe('KEY_PERMISSIONS');
    expect(e.message).toContain(path);
    expect(e.message).toContain('chmod 600');
    expect(e.details.mode).toBe(mode.toString(8));
  });

  it('accepts a key made private again (0400)', () => {
    const path = join(dir, 'readonly.key');
    createKeyFile(path);
    chmodSync(path, 0o400);
    expect(loadKeyFile(path)).toBeInstanceOf(SoftwareSigner);
  });

  it('reports a missing key with KEY_MISSING and how to create one', () => {
    const path = join(dir, 'nowhere', 'device.key');
    const e = codeOf(() => loadKeyFile(path));
    expect(e.code).toBe('KEY_MISSING');
    expect(e.message).toContain(path);
    expect(e.message).toContain('keys init');
  });

  it('reports a file that is not a P-256 PKCS#8 key with KEY_UNREADABLE', () => {
    const path = join(dir, 'garbage.key');
    writeFileSync(path, 'not a key at all\n', { mode: 0o600 });
    expect(codeOf(() => loadKeyFile(path)).code).toBe('KEY_UNREADABLE');
  });

  it('refuses a private key on another curve with KEY_WRONG_TYPE', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const path = join(dir, 'p384.key');
    const pem = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(path, pem, { mode: 0o600 });
    expect(codeOf(() => loadKeyFile(path)).code).toBe('KEY_WRONG_TYPE');
  });
});

/**
 * Byte-level interop with tpm2-tools (tpm2-tss) on the same swtpm: the tools load our key
 * from its saved blobs under our SRK, accept our signatures and read our counter (with the
 * authValues from tpm-auth); we accept theirs.
 * tpm2-tools has no resource manager here, so `tpm2_flushcontext -t` runs after each tool.
 * Our client's connection is closed while a tool runs: swtpm serves one connection at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { openTpmEpochCounter } from '../../agent/signing/tpm-epoch.ts';
import { templateName } from '../../agent/signing/tpm-enroll.ts';
import { tpmKeysInit } from '../../agent/signing/tpm-provision.ts';
import { chmodSync } from 'node:fs';
import { keyMaterial, provisionedDir } from './provisioned.ts';
import { readEcdsaSignature } from '../../drivers/tpm/commands/sign.ts';
import { rawLowS } from '../../drivers/tpm/ecdsa.ts';
import { TpmReader } from '../../drivers/tpm/marshal.ts';
import { SIGNING_KEY_ATTRIBUTES } from '../../drivers/tpm/public-area.ts';
import { tpm2Tool } from '../../hil/tpm2-tools.ts';

const run = promisify(execFile);
let tpm: SwtpmInstance;
let dir: string;
let state: string;

const tool = (cmd: string, args: string[]): Promise<Buffer> => tpm2Tool(tpm.tcti, [cmd, ...args], { cwd: dir });

function pemFromSec1(pub: Uint8Array): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

beforeAll(async () => {
  tpm = await startSwtpm();
  dir = await mkdtemp(join(tmpdir(), 'tpm-interop-'));
  state = (await provisionedDir(tpm.tcti)).dir;
});

/** Writes our blobs as tpm2-tools' TPM2B files and loads them under our SRK into key.ctx; returns `-p` for the key. */
async function loadWithTools(): Promise<string> {
  const { file, auth } = keyMaterial(state);
  const tpm2b = (b: Uint8Array) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  await writeFile(join(dir, 'key.pub'), tpm2b(file.blobs.signingKey.publicArea));
  await writeFile(join(dir, 'key.priv'), tpm2b(file.blobs.signingKey.privateBlob));
  await tool('tpm2_load', ['-C', '0x' + file.srk.handle.toString(16), '-u', 'key.pub', '-r', 'key.priv', '-c', 'key.ctx']);
  return 'hex:' + Buffer.from(auth.signingKey).toString('hex');
}

afterAll(async () => {
  await tpm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('interop with tpm2-tools on the same swtpm', () => {
  it('tpm2_load takes our saved blobs under our SRK, and tpm2_readpublic gives our public key and Name', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: state });
    const pub = await s.publicKey();
    await s.close();
    await loadWithTools();
    await tool('tpm2_readpublic', ['-c', 'key.ctx', '-f', 'pem', '-o', 'pub.pem', '-n', 'name.bin']);
    expect((await readFile(join(dir, 'pub.pem'), 'utf8')).trim()).toBe(pemFromSec1(pub).trim());
    const name = await readFile(join(dir, 'name.bin'));
    expect(name.equals(Buffer.from(templateName(pub, SIGNING_KEY_ATTRIBUTES)))).toBe(true);
  });

  it('tpm2_verifysignature accepts a signature we made and rejects an altered one', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: state });
    const msg = new TextEncoder().encode('observation for tpm2_verifysignature');
    const sig = await s.sign(msg);
    await s.close();
    // Part 2 §11.3.4 TPMT_SIGNATURE: ECDSA, SHA-256, r, s.
    const tss = (rs: Uint8Array) => Buffer.concat([Buffer.from('0018000b0020', 'hex'), rs.subarray(0, 32), Buffer.from('0020', 'hex'), rs.subarray(32)]);
    await writeFile(join(dir, 'msg.bin'), msg);
    await writeFile(join(dir, 'sig.tss'), tss(sig));
    const bad = sig.slice();
    bad[40] = bad[40]! ^ 1;
    await writeFile(join(dir, 'bad.tss'), tss(bad));
    await loadWithTools();
    await tool('tpm2_verifysignature', ['-c', 'key.ctx', '-g', 'sha256', '-m', 'msg.bin', '-s', 'sig.tss']);
    await loadWithTools();
    await expect(tool('tpm2_verifysignature', ['-c', 'key.ctx', '-g', 'sha256', '-m', 'msg.bin', '-s', 'bad.tss'])).rejects.toThrow();
  });

  it('a signature made by tpm2_sign with our key (given its authValue) verifies with our code and noble', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: state });
    const pub = await s.publicKey();
    await s.close();
    const msg = new TextEncoder().encode('signed by tpm2_sign');
    await writeFile(join(dir, 'm2.bin'), msg);
    let p = await loadWithTools();
    await tool('tpm2_sign', ['-c', 'key.ctx', '-p', p, '-g', 'sha256', '-o', 'tsig.tss', 'm2.bin']);
    p = await loadWithTools();
    await tool('tpm2_sign', ['-c', 'key.ctx', '-p', p, '-g', 'sha256', '-f', 'plain', '-o', 'tsig.der', 'm2.bin']);
    const ours = rawLowS(readEcdsaSignature(new TpmReader(await readFile(join(dir, 'tsig.tss')))));
    expect(p256.verify(ours, msg, pub)).toBe(true);
    expect(p256.verify(ours, sha256(msg), pub, { prehash: false })).toBe(true);
    const der = new Uint8Array(await readFile(join(dir, 'tsig.der')));
    expect(p256.verify(der, msg, pub, { format: 'der', lowS: false })).toBe(true);
  });

  it('tpm2_nvread, given the counter\'s authValue, reads the value of our epoch counter', async () => {
    const c = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: state });
    await c.increment();
    const v = await c.increment();
    await c.close();
    const p = 'hex:' + Buffer.from(keyMaterial(state).auth.counter).toString('hex');
    const out = await tool('tpm2_nvread', ['-C', '0x01500101', '-P', p, '-s', '8', '0x01500101']);
    expect(out.length).toBe(8);
    expect(out.readBigUInt64BE(0)).toBe(v);
  });

  it('transient objects leaked by tpm2_createprimary are flushed when our signer opens', async () => {
    for (let i = 0; i < 3; i++) {
      await run('tpm2_createprimary', ['-C', 'o', '-G', 'ecc256', '-c', `p${i}.ctx`], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti }, cwd: dir });
    }
    const leaked = (await run('tpm2_getcap', ['handles-transient'], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti } })).stdout.toString();
    expect(leaked).toContain('0x80000');
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: state });
    const pub = await s.publicKey();
    const msg = new TextEncoder().encode('after tool leaks');
    expect(p256.verify(await s.sign(msg), msg, pub)).toBe(true);
    await s.close();
    const handles = (await run('tpm2_getcap', ['handles-transient'], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti } })).stdout.toString();
    expect(handles.trim()).toBe('');
    const persistent = (await run('tpm2_getcap', ['handles-persistent'], { env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti } })).stdout.toString();
    expect(persistent).toContain('0x81000001');
  });

  it('uses the owner auth set by tpm2_changeauth from a root-only file, and reports a missing one with its decoded code', async () => {
    await tool('tpm2_changeauth', ['-c', 'owner', 'owner-secret']);
    try {
      const ownerFile = join(dir, 'owner.auth');
      await writeFile(ownerFile, 'owner-secret\n', { mode: 0o600 });
      chmodSync(ownerFile, 0o600);
      const cfg = { tcti: tpm.tcti, stateDir: join(dir, 'owned'), srkHandle: 0x81000030, nvIndex: 0x01500130 };
      const err = await tpmKeysInit(cfg).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: expect.stringMatching(/^TPM_RC_(BAD_AUTH|AUTH_FAIL)$/), message: expect.stringContaining('(session 1)') });
      const ok = await tpmKeysInit({ ...cfg, ownerAuthFile: ownerFile });
      expect(ok.created).toEqual({ srk: true, key: true, counter: true, ak: true });
    } finally {
      await tool('tpm2_changeauth', ['-c', 'owner', '-p', 'owner-secret']);
    }
  });
});

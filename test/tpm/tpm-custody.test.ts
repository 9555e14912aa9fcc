/**
 * Key custody on swtpm: the signing key and the NV epoch counter answer only to their own
 * authValues (checked with tpm2-tools as a process that lacks them), the bytes of a signing
 * command on the wire carry neither the authValue nor the digest (captured in the transport),
 * a forged response is caught by its HMAC, and the secret files are mode-checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { openTpmEpochCounter } from '../../agent/signing/tpm-epoch.ts';
import { tpmKeysInit } from '../../agent/signing/tpm-provision.ts';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand } from '../../agent/cli/args.ts';

/** `place-agent keys <sub> ...args` as the CLI parses and runs it, in this process. */
async function keysCommand([sub, ...args]: string[]): Promise<number> {
  const spec = COMMANDS.find((c) => c.name === `keys ${sub}`)!;
  return (await spec.load())(parseCommand(spec, args));
}
import { TpmClient } from '../../drivers/tpm/client.ts';
import { loadKey } from '../../drivers/tpm/commands/keys.ts';
import { sign } from '../../drivers/tpm/commands/sign.ts';
import { flushContext } from '../../drivers/tpm/commands/context.ts';
import { readStorageRoot } from '../../drivers/tpm/provision.ts';
import { SocketTransport } from '../../drivers/tpm/socket-transport.ts';
import { BusRecorder } from './bus-recorder.ts';
import { tpm2Tool } from '../../hil/tpm2-tools.ts';
import { keyMaterial, provisionedDir } from './provisioned.ts';

let tpm: SwtpmInstance;
let state: string;
let work: string;

/** A tpm2-tools program run as a process that holds none of the agent's secrets: its stdout, or its complaint when it must fail. */
async function tool(args: string[], expectOk: boolean): Promise<string> {
  try {
    const stdout = await tpm2Tool(tpm.tcti, args, { cwd: work });
    if (!expectOk) throw new Error(`${args.join(' ')} succeeded but should have failed`);
    return stdout.toString();
  } catch (e) {
    if (expectOk) throw e;
    return String((e as { stderr?: Buffer | string }).stderr ?? e);
  }
}

beforeAll(async () => {
  tpm = await startSwtpm();
  state = (await provisionedDir(tpm.tcti)).dir;
  work = mkdtempSync(join(tmpdir(), 'tpm-custody-'));
});

afterAll(async () => {
  await tpm?.stop();
  rmSync(work, { recursive: true, force: true });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('TPM key custody', () => {
  it('a process without the key\'s authValue cannot sign with it (tpm2_sign, no auth or a wrong one); with it, it can', async () => {
    const { file, auth } = keyMaterial(state);
    const tpm2b = (b: Uint8Array) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    writeFileSync(join(work, 'key.pub'), tpm2b(file.blobs.signingKey.publicArea));
    writeFileSync(join(work, 'key.priv'), tpm2b(file.blobs.signingKey.privateBlob));
    writeFileSync(join(work, 'msg.bin'), 'what an intruder would like signed');
    const load = () => tool(['tpm2_load', '-C', '0x81000001', '-u', 'key.pub', '-r', 'key.priv', '-c', 'key.ctx'], true);
    await load();
    const none = await tool(['tpm2_sign', '-c', 'key.ctx', '-g', 'sha256', '-o', 'sig.bin', 'msg.bin'], false);
    expect(none).toMatch(/9a2|bad auth|authorization/i);
    await load();
    const wrong = await tool(['tpm2_sign', '-c', 'key.ctx', '-p', 'hex:' + '11'.repeat(32), '-g', 'sha256', '-o', 'sig.bin', 'msg.bin'], false);
    expect(wrong).toMatch(/9a2|bad auth|authorization/i);
    // The same tool invocation with the authValue works: the refusals above are the TPM's, not the tooling's.
    await load();
    await tool(['tpm2_sign', '-c', 'key.ctx', '-p', 'hex:' + hex(auth.signingKey), '-g', 'sha256', '-o', 'sig.bin', 'msg.bin'], true);
  });

  it('a process without the counter\'s authValue cannot raise it, not even with the owner hierarchy; the value does not move', async () => {
    const c = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: state });
    const before = await c.increment();
    await c.close();
    const idx = '0x01500101';
    expect(await tool(['tpm2_nvincrement', idx], false)).toMatch(/9a2|bad auth|authorization/i);
    expect(await tool(['tpm2_nvincrement', '-P', 'hex:' + '22'.repeat(32), idx], false)).toMatch(/9a2|bad auth|authorization/i);
    expect(await tool(['tpm2_nvincrement', '-C', 'o', idx], false)).toMatch(/149|authorization/i);
    const c2 = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: state });
    try {
      expect(await c2.read()).toBe(before);
    } finally {
      await c2.close();
    }
    await tool(['tpm2_nvincrement', '-P', 'hex:' + hex(keyMaterial(state).auth.counter), idx], true);
  });

  it('on the wire, a signing command carries neither the authValue nor the digest; a password session would carry both', async () => {
    const cap = new BusRecorder(new SocketTransport({ host: tpm.host, port: tpm.port }));
    const msg = new TextEncoder().encode('observation whose digest must not be on the bus');
    const digest = Buffer.from(sha256(msg));
    const { auth } = keyMaterial(state);
    const s = await openTpmSigner({ transport: cap, stateDir: state });
    let sig: Uint8Array;
    try {
      sig = await s.sign(msg);
    } finally {
      await s.close();
    }
    expect(p256.verify(sig, msg, await s.publicKey())).toBe(true);
    const signCmds = cap.commands.filter((c) => c.readUInt32BE(6) === 0x15d);
    expect(signCmds.length).toBe(1);
    const cmd = signCmds[0]!;
    expect(cmd.readUInt16BE(0)).toBe(0x8002); // with an authorisation area
    expect(cmd.readUInt32BE(18) >>> 24).toBe(0x02); // the session is an HMAC session (Part 2 §7.2 TPM_HT_HMAC_SESSION)
    const attrs = cmd[18 + 4 + 2 + cmd.readUInt16BE(22)]!;
    expect(attrs & 0x20).toBe(0x20); // decrypt: the first parameter (the digest) is encrypted
    expect(cmd.includes(digest)).toBe(false);
    for (const c of cap.commands) {
      for (const secret of [auth.signingKey, auth.counter, auth.ak]) expect(c.includes(Buffer.from(secret))).toBe(false);
    }

    // The control: the same command in a password session (what the agent did before) shows both.
    const cap2 = new BusRecorder(new SocketTransport({ host: tpm.host, port: tpm.port }));
    const raw = new TpmClient(cap2);
    try {
      const { file } = keyMaterial(state);
      const srk = await readStorageRoot(raw, file.srk.handle, file.srkName);
      const k = await loadKey(raw, srk, new Uint8Array(0), file.blobs.signingKey);
      try {
        await sign(raw, k.handle, digest, auth.signingKey);
      } finally {
        await flushContext(raw, k.handle);
      }
    } finally {
      await raw.close();
    }
    const plain = cap2.commands.find((c) => c.readUInt32BE(6) === 0x15d)!;
    expect(plain.includes(digest)).toBe(true);
    expect(plain.includes(Buffer.from(auth.signingKey))).toBe(true);
  });

  it('a response altered on the bus fails its HMAC check and is never emitted; the signature is made again in a new session', async () => {
    const cap = new BusRecorder(new SocketTransport({ host: tpm.host, port: tpm.port }));
    const s = await openTpmSigner({ transport: cap, stateDir: state });
    try {
      const msg = new TextEncoder().encode('signed while someone flips bits');
      await s.sign(msg); // session established
      const sessions = s.sessions.started;
      cap.tamperNext = 0x15d;
      const sig = await s.sign(msg);
      expect(cap.tampered).toBe(1);
      expect(p256.verify(sig, msg, await s.publicKey())).toBe(true);
      expect(s.sessions.started).toBe(sessions + 1);
    } finally {
      await s.close();
    }
  });

  it('secret files are refused when group or others can read them; the owner auth never comes from the command line', async () => {
    const { authFile } = { authFile: join(state, 'tpm-auth') };
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'tpm-key.json')).mode & 0o777).toBe(0o600);
    chmodSync(authFile, 0o640);
    try {
      await expect(openTpmSigner({ tcti: tpm.tcti, stateDir: state })).rejects.toMatchObject({ code: 'TPM_SECRET_PERMISSIONS' });
      await expect(openTpmEpochCounter({ tcti: tpm.tcti, stateDir: state })).rejects.toMatchObject({ code: 'TPM_SECRET_PERMISSIONS' });
    } finally {
      chmodSync(authFile, 0o600);
    }
    const ownerFile = join(work, 'owner.auth');
    writeFileSync(ownerFile, '\n');
    chmodSync(ownerFile, 0o644);
    await expect(tpmKeysInit({ tcti: tpm.tcti, stateDir: join(work, 'x'), ownerAuthFile: ownerFile })).rejects.toMatchObject({ code: 'TPM_SECRET_PERMISSIONS' });
    await expect(keysCommand(['init', '--state', join(work, 'y'), '--tpm', tpm.tcti, '--owner-auth', 'secret'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(keysCommand(['init', '--state', join(work, 'y'), '--tpm', tpm.tcti, '--owner-auth=secret'])).rejects.toMatchObject({ code: 'USAGE' });
    chmodSync(ownerFile, 0o600);
    const ok = await tpmKeysInit({ tcti: tpm.tcti, stateDir: join(work, 'z'), ownerAuthFile: ownerFile, nvIndex: 0x01500160 });
    expect(ok.created.key).toBe(true);
  });
});

/**
 * TpmSigner against a real swtpm started for this file: the Signer contract, high-S
 * normalisation, a TPM crash and restart mid-run, transient slot exhaustion, a replaced storage
 * root key, wrong owner auth at provisioning, a TPM reset through swtpm's control channel, and
 * a slow TPM. The key is provisioned once (keys init) into a state directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { signerContract } from '../contract/signer.contract.ts';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { tpmKeysInit } from '../../agent/signing/tpm-provision.ts';
import { evictControl } from '../../drivers/tpm/commands/object.ts';
import { flushContext } from '../../drivers/tpm/commands/context.ts';
import { storageRootTemplate } from '../../drivers/tpm/public-area.ts';
import { provisionedDir } from './provisioned.ts';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { getHandles, getProperties } from '../../drivers/tpm/commands/context.ts';
import { createPrimary } from '../../drivers/tpm/commands/object.ts';
import { PT, TRANSIENT_FIRST } from '../../drivers/tpm/constants.ts';
import { eccTemplate, SIGNING_KEY_ATTRIBUTES } from '../../drivers/tpm/public-area.ts';
import { SocketTransport } from '../../drivers/tpm/socket-transport.ts';
import { SwtpmControl } from '../../drivers/tpm/swtpm-control.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { TpmTransport } from '../../drivers/tpm/transport.ts';
import { createLogger } from '../../core/log.ts';

let tpm: SwtpmInstance;
let dir: string;

beforeAll(async () => {
  tpm = await startSwtpm();
  dir = (await provisionedDir(tpm.tcti)).dir;
});

afterAll(async () => {
  await tpm?.stop();
});

const enc = (s: string) => new TextEncoder().encode(s);

signerContract('tpm (swtpm)', async () => openTpmSigner({ tcti: tpm.tcti, stateDir: dir }), { signatures: 200 });

/** Adds latency to every command, as a real TPM (10 to 50 signatures per second) would. */
class SlowTransport implements TpmTransport {
  readonly description: string;
  commands = 0;
  constructor(private readonly inner: TpmTransport, private readonly delayMs: number) {
    this.description = `slow(${inner.description})`;
  }
  async transmit(command: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.commands++;
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.transmit(command, timeoutMs);
  }
  get connections(): number | undefined {
    return this.inner.connections;
  }
  reset(): Promise<void> {
    return this.inner.reset();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('TpmSigner on swtpm', () => {
  it('sees high-S signatures from the TPM and emits only low-S ones that verify', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      const pub = await s.publicKey();
      for (let i = 0; i < 64; i++) {
        const msg = enc(`high-s probe ${i}`);
        expect(p256.verify(await s.sign(msg), msg, pub)).toBe(true);
      }
      expect(s.stats.signatures).toBe(64);
      // About half of TPM signatures are high-S; none at all in 64 has probability 2^-64.
      expect(s.stats.highS).toBeGreaterThan(0);
      expect(s.stats.highS).toBeLessThan(64);
    } finally {
      await s.close();
    }
  });

  it('keeps the same key across opens (loaded from its saved blobs) and exports it as COSE_Key fields', async () => {
    const a = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    const pubA = await a.publicKey();
    const cose = a.publicKeyCose();
    await a.close();
    const b = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      expect(Buffer.from(await b.publicKey()).equals(Buffer.from(pubA))).toBe(true);
      expect(cose.kty).toBe(2);
      expect(cose.crv).toBe(1);
      expect(Buffer.concat([Buffer.of(4), cose.x, cose.y]).equals(Buffer.from(pubA))).toBe(true);
      const map = b.publicKeyCoseKey();
      expect(map.get(1)).toBe(2);
      expect(map.get(-1)).toBe(1);
      expect(map.get(-2)).toEqual(cose.x);
    } finally {
      await b.close();
    }
  });

  it('survives swtpm being killed and restarted mid-run: reconnects, reloads the key, loses no signature', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      const pub = await s.publicKey();
      const before = await s.sign(enc('before crash'));
      const epoch = s.tpm.connectionEpoch();
      expect(p256.verify(before, enc('before crash'), pub)).toBe(true);
      await tpm.kill();
      const msgs = Array.from({ length: 10 }, (_, i) => enc(`during restart ${i}`));
      const pending = msgs.map((m) => s.sign(m));
      await tpm.restart();
      const sigs = await Promise.all(pending);
      sigs.forEach((sig, i) => expect(p256.verify(sig, msgs[i]!, pub)).toBe(true));
      expect(s.tpm.connectionEpoch()).toBeGreaterThan(epoch);
      expect(s.stats.reloads).toBeGreaterThan(0);
      const after = await s.sign(enc('after restart'));
      expect(p256.verify(after, enc('after restart'), pub)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('refuses to load its key again under a storage root key that is not the one the key was made under', async () => {
    const srkHandle = 0x81000040;
    const own = (await provisionedDir(tpm.tcti, { srkHandle, nvIndex: 0x01500140 })).dir;
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: own });
    try {
      expect(p256.verify(await s.sign(enc('first')), enc('first'), await s.publicKey())).toBe(true);
      // Someone replaces the SRK (here: a storage key from another unique value, so another key), and our
      // loaded key is gone (as after a TPM restart): the signer must load it again and check the SRK first.
      await evictControl(s.tpm, new Uint8Array(0), srkHandle, srkHandle);
      const other = await createPrimary(s.tpm, { ...storageRootTemplate(), x: enc('someone else') }, new Uint8Array(0));
      await evictControl(s.tpm, new Uint8Array(0), other.handle, srkHandle);
      await flushContext(s.tpm, other.handle);
      await flushContext(s.tpm, await s.keyHandle());
      await expect(s.sign(enc('second'))).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
      await expect(openTpmSigner({ tcti: tpm.tcti, stateDir: own })).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
    } finally {
      await s.close();
    }
  });

  it('talks to the swtpm control channel', async () => {
    const caps = await new SwtpmControl(tpm.host, tpm.ctrlPort).capabilities();
    // swtpm's PTM_CAP_INIT (bit 0) and PTM_CAP_SHUTDOWN (bit 1) are always offered.
    expect(caps & 0x3).toBe(0x3);
  });

  it('re-sends TPM2_Startup after a reset through the swtpm control channel, and goes on signing', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      const pub = await s.publicKey();
      await new SwtpmControl(tpm.host, tpm.ctrlPort).init();
      const startups = s.tpm.stats.startups;
      const sig = await s.sign(enc('after CMD_INIT'));
      expect(p256.verify(sig, enc('after CMD_INIT'), pub)).toBe(true);
      expect(s.tpm.stats.startups).toBe(startups + 1);
    } finally {
      await s.close();
    }
  });

  it('recovers when leftovers fill all transient slots: the signer flushes them at open', async () => {
    const raw = new TpmClient(new SocketTransport({ host: tpm.host, port: tpm.port }));
    try {
      // TPM 2.0 Part 2 §6.13: TPM_PT_HR_TRANSIENT_MIN, the guaranteed number of loaded objects.
      const slots = (await getProperties(raw, PT.HR_TRANSIENT_MIN, 1)).get(PT.HR_TRANSIENT_MIN)!;
      expect(slots).toBeGreaterThanOrEqual(3);
      const filled: number[] = [];
      let full: unknown;
      for (let i = 0; i < 8 && !full; i++) {
        try {
          filled.push((await createPrimary(raw, eccTemplate(SIGNING_KEY_ATTRIBUTES), new Uint8Array(0))).handle);
        } catch (e) {
          full = e;
        }
      }
      expect(full).toBeInstanceOf(TpmError);
      expect((full as TpmError).code).toBe('TPM_RC_OBJECT_MEMORY');
      expect(filled.length).toBeGreaterThanOrEqual(slots);
    } finally {
      await raw.close(); // the objects stay loaded: swtpm has no resource manager
    }
    // Opening loads the key from its blobs, which needs a free slot.
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      const sig = await s.sign(enc('after exhaustion'));
      expect(p256.verify(sig, enc('after exhaustion'), await s.publicKey())).toBe(true);
      expect(await getHandles(s.tpm, TRANSIENT_FIRST)).toEqual([await s.keyHandle()]);
    } finally {
      await s.close();
    }
    const raw2 = new TpmClient(new SocketTransport({ host: tpm.host, port: tpm.port }));
    try {
      expect(await getHandles(raw2, TRANSIENT_FIRST)).toEqual([]); // close() gave the key's slot back
    } finally {
      await raw2.close();
    }
  });

  it('recovers when the slots fill while it is open: a new session meets TPM_RC_OBJECT_MEMORY, others\' objects are flushed, never its key', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      const key = await s.keyHandle();
      // Leaked objects on the same connection, as a tool without a resource manager leaves them: two fit beside our key.
      for (let i = 0; i < 2; i++) await createPrimary(s.tpm, eccTemplate(SIGNING_KEY_ATTRIBUTES), new Uint8Array(0));
      s.sessions.invalidate(); // the next Sign starts a salted session, which needs a slot for the SRK
      const sig = await s.sign(enc('slots full'));
      expect(p256.verify(sig, enc('slots full'), await s.publicKey())).toBe(true);
      expect(s.stats.slotRecoveries).toBe(1);
      expect(await getHandles(s.tpm, TRANSIENT_FIRST)).toEqual([key]);
    } finally {
      await s.close();
    }
  });

  it('reports a wrong owner auth at provisioning with its decoded response code and never logs the auth', async () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'debug', (l) => lines.push(l));
    const ownerFile = join(dir, 'owner.auth');
    writeFileSync(ownerFile, 'not-the-owner-password\n', { mode: 0o600 });
    chmodSync(ownerFile, 0o600);
    const err = await tpmKeysInit({ tcti: tpm.tcti, stateDir: join(dir, 'other'), srkHandle: 0x81000041, ownerAuthFile: ownerFile, logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TpmError);
    expect((err as TpmError).code).toMatch(/^TPM_RC_(BAD_AUTH|AUTH_FAIL)$/);
    expect((err as TpmError).message).toContain('(session 1)');
    expect((err as TpmError).message).toContain('TPM2_CreatePrimary');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('not-the-owner-password');
    expect(JSON.stringify(err)).not.toContain('not-the-owner-password');
  });

  it('with a slow TPM (50 ms per command), queued signing of 20 readings all completes, in order, and verifies', async () => {
    const slow = new SlowTransport(new SocketTransport({ host: tpm.host, port: tpm.port }), 50);
    const s = await openTpmSigner({ transport: slow, stateDir: dir });
    try {
      const pub = await s.publicKey();
      const readings: Uint8Array[] = [];
      const pending: Promise<Uint8Array>[] = [];
      // The producer takes a reading every 5 ms and never waits for the TPM.
      for (let i = 0; i < 20; i++) {
        const r = enc(JSON.stringify({ seq: i, v: i * 1.5 }));
        readings.push(r);
        pending.push(s.sign(r));
        await new Promise((res) => setTimeout(res, 5));
      }
      expect(readings.length).toBe(20);
      const sigs = await Promise.all(pending);
      expect(sigs.length).toBe(20);
      sigs.forEach((sig, i) => expect(p256.verify(sig, readings[i]!, pub)).toBe(true));
      expect(slow.commands).toBeGreaterThanOrEqual(20);
    } finally {
      await s.close();
    }
  });
});

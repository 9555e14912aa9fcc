/**
 * TpmSigner against a real swtpm started for this file: the Signer contract, high-S
 * normalisation, a TPM crash and restart mid-run, transient slot exhaustion, wrong owner
 * auth, a TPM reset through swtpm's control channel, and a slow TPM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { signerContract } from '../contract/signer.contract.ts';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { getHandles, getProperties } from '../../drivers/tpm/commands/context.ts';
import { createPrimary } from '../../drivers/tpm/commands/object.ts';
import { PT, TRANSIENT_FIRST } from '../../drivers/tpm/constants.ts';
import { ATTESTATION_KEY_ATTRIBUTES, eccTemplate, SIGNING_KEY_ATTRIBUTES } from '../../drivers/tpm/public-area.ts';
import { ensurePersistentKey, removePersistentKey } from '../../drivers/tpm/provision.ts';
import { SocketTransport } from '../../drivers/tpm/socket-transport.ts';
import { SwtpmControl } from '../../drivers/tpm/swtpm-control.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { TpmTransport } from '../../drivers/tpm/transport.ts';
import { createLogger } from '../../core/log.ts';

let tpm: SwtpmInstance;

beforeAll(async () => {
  tpm = await startSwtpm();
});

afterAll(async () => {
  await tpm?.stop();
});

const enc = (s: string) => new TextEncoder().encode(s);

signerContract('tpm (swtpm)', async () => openTpmSigner({ tcti: tpm.tcti }), { signatures: 200 });

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
    const s = await openTpmSigner({ tcti: tpm.tcti });
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

  it('keeps the same persisted key across opens and exports it as COSE_Key fields', async () => {
    const a = await openTpmSigner({ tcti: tpm.tcti });
    const pubA = await a.publicKey();
    const cose = a.publicKeyCose();
    await a.close();
    const b = await openTpmSigner({ tcti: tpm.tcti, handle: 0x81010001 });
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
    const s = await openTpmSigner({ tcti: tpm.tcti });
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

  it('after a reconnect, refuses to sign if the persistent handle now holds a different key', async () => {
    const handle = 0x81010040;
    const s = await openTpmSigner({ tcti: tpm.tcti, handle });
    try {
      expect(p256.verify(await s.sign(enc('first')), enc('first'), await s.publicKey())).toBe(true);
      // Someone replaces the key at our handle (here: with an AK-shaped key), then the link drops.
      await removePersistentKey(s.tpm, handle, new Uint8Array(0));
      await ensurePersistentKey(s.tpm, handle, ATTESTATION_KEY_ATTRIBUTES, new Uint8Array(0));
      await s.tpm.transport.reset();
      await expect(s.sign(enc('second'))).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
      await expect(s.sign(enc('third'))).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
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
    const s = await openTpmSigner({ tcti: tpm.tcti });
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
    // A handle not yet persisted, so opening needs CreatePrimary and a free slot.
    const s = await openTpmSigner({ tcti: tpm.tcti, handle: 0x81010007 });
    try {
      const sig = await s.sign(enc('after exhaustion'));
      expect(p256.verify(sig, enc('after exhaustion'), await s.publicKey())).toBe(true);
      expect(await getHandles(s.tpm, TRANSIENT_FIRST)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('recovers when the slots fill while it is open: Sign meets TPM_RC_OBJECT_MEMORY, flushes, signs', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti });
    try {
      // Leaked objects on the same connection, as a tool without a resource manager leaves them.
      for (let i = 0; i < 3; i++) await createPrimary(s.tpm, eccTemplate(SIGNING_KEY_ATTRIBUTES), new Uint8Array(0));
      const sig = await s.sign(enc('slots full'));
      expect(p256.verify(sig, enc('slots full'), await s.publicKey())).toBe(true);
      expect(s.stats.slotRecoveries).toBe(1);
      expect(await getHandles(s.tpm, TRANSIENT_FIRST)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('reports a wrong owner auth with its decoded response code and never logs the auth', async () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'debug', (l) => lines.push(l));
    const err = await openTpmSigner({ tcti: tpm.tcti, handle: 0x81010008, ownerAuth: 'not-the-owner-password', logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TpmError);
    expect((err as TpmError).code).toBe('TPM_RC_BAD_AUTH');
    expect((err as TpmError).message).toContain('TPM_RC_BAD_AUTH (session 1)');
    expect((err as TpmError).message).toContain('TPM2_CreatePrimary');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('not-the-owner-password');
    expect(JSON.stringify(err)).not.toContain('not-the-owner-password');
  });

  it('with a slow TPM (50 ms per command), queued signing of 20 readings all completes, in order, and verifies', async () => {
    const slow = new SlowTransport(new SocketTransport({ host: tpm.host, port: tpm.port }), 50);
    const s = await openTpmSigner({ transport: slow });
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

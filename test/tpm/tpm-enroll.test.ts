/**
 * Provisioning, PCR quotes and the NV epoch counter against a real swtpm started for this
 * file. Enrolment (EK, credential activation, Certify) is in tpm-ek-enrolment.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { startSwtpm, type SwtpmInstance } from '../../hil/swtpm.ts';
import { createQuote } from '../../agent/signing/tpm-enroll.ts';
import { tpmKeysInit, tpmKeysShow } from '../../agent/signing/tpm-provision.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTpmEpochCounter } from '../../agent/signing/tpm-epoch.ts';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { parseAttest, pcrRead } from '../../drivers/tpm/commands/attest.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { ST } from '../../drivers/tpm/constants.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';

let tpm: SwtpmInstance;
let dir: string;

beforeAll(async () => {
  tpm = await startSwtpm();
  dir = mkdtempSync(join(tmpdir(), 'tpm-enroll-'));
});

afterAll(async () => {
  await tpm?.stop();
});

describe('TPM provisioning and enrolment on swtpm', () => {
  it('keys show before init says the TPM is not provisioned', async () => {
    const err = await tpmKeysShow({ tcti: tpm.tcti, stateDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TpmError);
    expect((err as TpmError).code).toBe('TPM_NOT_PROVISIONED');
  });

  it('keys init is idempotent and keys show reports the same keys', async () => {
    const first = await tpmKeysInit({ tcti: tpm.tcti, stateDir: dir });
    expect(first.created).toEqual({ srk: true, key: true, counter: true, ak: true });
    expect(first.srkHandle).toBe(0x81000001);
    expect(first.nvIndex).toBe(0x01500101);
    const second = await tpmKeysInit({ tcti: tpm.tcti, stateDir: dir });
    expect(second.created).toEqual({ srk: false, key: false, counter: false, ak: false });
    expect(Buffer.from(second.publicKey).equals(Buffer.from(first.publicKey))).toBe(true);
    expect(Buffer.from(second.akPublicKey).equals(Buffer.from(first.akPublicKey))).toBe(true);
    expect(Buffer.from(first.publicKey).equals(Buffer.from(first.akPublicKey))).toBe(false);
    const shown = await tpmKeysShow({ tcti: tpm.tcti, stateDir: dir });
    expect(Buffer.from(shown.publicKey).equals(Buffer.from(first.publicKey))).toBe(true);
    expect(shown.counter).toBe(first.counter);
    expect(shown.kid.length).toBe(32);
    expect(Buffer.from(shown.kid).equals(Buffer.from(first.kid))).toBe(true);
    const signer = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    try {
      expect(Buffer.from(await signer.publicKey()).equals(Buffer.from(first.publicKey))).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('quotes SHA-256 PCRs over a nonce with the AK', async () => {
    await tpmKeysInit({ tcti: tpm.tcti, stateDir: dir });
    const nonce = sha256(new TextEncoder().encode('quote nonce'));
    const q = await createQuote({ tcti: tpm.tcti, stateDir: dir }, nonce, [0, 1, 7]);
    const a = parseAttest(q.quoted);
    expect(a.type).toBe(ST.ATTEST_QUOTE);
    expect(Buffer.from(a.extraData).equals(Buffer.from(nonce))).toBe(true);
    expect(a.quote!.selection[0]!.pcrs).toEqual([0, 1, 7]);
    expect(a.quote!.pcrDigest.length).toBe(32);
    expect(p256.verify(q.signature, q.quoted, q.akPublicKey)).toBe(true);
    // Part 3 §18.4: pcrDigest is the hash of the selected PCR values, concatenated in order.
    const lease = acquireTpmClient(tpm.tcti);
    try {
      const pcrs = await pcrRead(lease.client, [0, 1, 7]);
      expect(pcrs.digests.length).toBe(3);
      expect(Buffer.from(a.quote!.pcrDigest).equals(Buffer.from(sha256(Buffer.concat(pcrs.digests))))).toBe(true);
    } finally {
      await lease.release();
    }
  });

  it('the epoch counter only goes up, across reopen and across an swtpm restart', async () => {
    const own = mkdtempSync(join(tmpdir(), 'tpm-epoch-'));
    await tpmKeysInit({ tcti: tpm.tcti, stateDir: own, nvIndex: 0x01500155 });
    const c = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: own });
    let last: bigint;
    try {
      expect(c.kind).toBe('tpm-nv');
      const start = await c.read();
      const a = await c.increment();
      expect(a).toBeGreaterThan(start);
      const b = await c.increment();
      expect(b).toBe(a + 1n);
      expect(await c.read()).toBe(b);
      last = b;
    } finally {
      await c.close();
    }
    await tpm.kill();
    await tpm.restart();
    const d = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: own });
    try {
      expect(await d.read()).toBe(last);
      expect(await d.increment()).toBe(last + 1n);
    } finally {
      await d.close();
    }
  });

  it('signer and epoch counter share one swtpm connection in the same process', async () => {
    const s = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    const c = await openTpmEpochCounter({ tcti: tpm.tcti, stateDir: dir });
    try {
      expect(s.tpm).toBe(c.access.tpm);
      const [sig, n] = await Promise.all([s.sign(new TextEncoder().encode('x')), c.increment()]);
      expect(p256.verify(sig, new TextEncoder().encode('x'), await s.publicKey())).toBe(true);
      expect(n).toBeGreaterThan(0n);
    } finally {
      await c.close();
      await s.close();
    }
  });
});

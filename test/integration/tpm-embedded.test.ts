/**
 * The embedded default signing with a TPM (swtpm over its socket): `keys init --tpm` provisions
 * the key and counter, `run --embedded --tpm` signs every observation with the TPM key, the
 * epoch comes from the NV counter, and the exported chain verifies under the dev authority.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSwtpm } from '../../hil/swtpm.ts';
import { manufactureSwtpm } from '../../hil/swtpm-ek.ts';
import { parseCredentialClaims } from '../../agent/authority/credential.ts';
import { createHash } from 'node:crypto';
import { freePort } from '../../hil/ports.ts';
import { runAgent, spawnAgent, waitFor } from './agent-process.ts';
import { decodeCborSequence } from '../../agent/encoding/cbor-decode.ts';
import { decodeSign1, HDR_KID } from '../../agent/encoding/cose-sign1.ts';
import { readFileSync } from 'node:fs';

describe('embedded agent on a TPM (swtpm)', () => {
  let tpm: Awaited<ReturnType<typeof startSwtpm>>;
  let dir: string;

  beforeAll(async () => {
    tpm = await startSwtpm();
    dir = mkdtempSync(join(tmpdir(), 'pa-tpm-emb-'));
  });

  afterAll(async () => {
    await tpm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs the chain with the TPM key and raises the NV counter at each start', async () => {
    const init = await runAgent(['keys', 'init', '--state', dir, '--tpm', tpm.tcti]);
    expect(init.code, init.stderr).toBe(0);
    const show = await runAgent(['keys', 'show', '--state', dir, '--tpm', tpm.tcti, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const info = JSON.parse(show.stdout) as { kid: string; counter: string };
    const counterBefore = BigInt(info.counter);

    for (let run = 0; run < 2; run++) {
      const a = spawnAgent(['run', '--embedded', '--state', dir, '--tpm', tpm.tcti, '--port', String(await freePort()), '--metrics', 'off', '--envelope-interval-ms', '200']);
      await waitFor(() => (a.stdout().match(/ verified$/gm) ?? []).length >= 4 || a.proc.exitCode !== null, 30_000, 'verified observations');
      expect(a.stdout()).not.toContain('NOT VERIFIED');
      a.proc.kill('SIGTERM');
      expect(await a.exited, a.stderr()).toBe(0);
    }

    const out = join(dir, 'chain.cbor');
    expect((await runAgent(['export', '--state', dir, '--out', out])).code).toBe(0);
    const v = await runAgent(['verify', '--anchor', join(dir, 'authority', 'anchor.cose'), '--file', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    for (const item of decodeCborSequence(new Uint8Array(readFileSync(out)))) {
      const kid = decodeSign1(item.bytes).protectedHeader.get(HDR_KID) as Uint8Array;
      expect(Buffer.from(kid).toString('hex')).toBe(info.kid);
    }
    const after = JSON.parse((await runAgent(['keys', 'show', '--state', dir, '--tpm', tpm.tcti, '--json'])).stdout) as { counter: string };
    expect(BigInt(after.counter)).toBeGreaterThanOrEqual(counterBefore + 2n);
  }, 120_000);

  it('enrols the TPM key against a manufacturer CA: request, challenge, answer, credential marked TPM-resident; a replayed answer is refused', async () => {
    const mfg = await manufactureSwtpm();
    const t = await startSwtpm({ stateDir: mfg.stateDir });
    try {
      const st = join(dir, 'enrolled');
      expect((await runAgent(['keys', 'init', '--state', st, '--tpm', t.tcti])).code).toBe(0);
      const req = join(dir, 'request.json');
      const e = await runAgent(['enroll', 'request', '--tpm', t.tcti, '--state', st, '--out', req]);
      expect(e.code, e.stderr).toBe(0);
      const auth = join(dir, 'auth2');
      expect((await runAgent(['authority', 'init', '--dir', auth])).code).toBe(0);
      const ch = join(dir, 'challenge.json');
      const c = await runAgent(['authority', 'challenge', '--dir', auth, '--enrollment', req, '--ek-ca', `${mfg.rootCaFile},${mfg.issuerCaFile}`, '--out', ch]);
      expect(c.code, c.stderr).toBe(0);
      const ans = join(dir, 'answer.json');
      const a = await runAgent(['enroll', 'answer', '--tpm', t.tcti, '--state', st, '--challenge', ch, '--out', ans]);
      expect(a.code, a.stderr).toBe(0);
      const issue = (out: string) => runAgent(['authority', 'issue', '--dir', auth, '--subject', 'urn:place-agent:tpm', '--enrollment', ans, '--places', 'urn:place:DEMO:*', '--out', join(dir, out)]);
      const ok = await issue('tpm.cred');
      expect(ok.code, ok.stderr).toBe(0);
      const claims = parseCredentialClaims(decodeSign1(new Uint8Array(readFileSync(join(dir, 'tpm.cred')))).payload)!;
      expect(claims.tpm?.ekCertHash).toEqual(new Uint8Array(createHash('sha256').update(readFileSync(mfg.eccEkCertFile)).digest()));
      const again = await issue('again.cred');
      expect(again.code).toBe(3);
      expect(again.stderr).toContain('ENROLL_CHALLENGE_UNKNOWN');
      const wrongCa = await runAgent(['authority', 'challenge', '--dir', auth, '--enrollment', req, '--ek-ca', join(auth, 'anchor.cose'), '--out', join(dir, 'x.json')]);
      expect(wrongCa.code).toBe(3);
      expect(wrongCa.stderr).toContain('ENROLL_NO_EK_CA');
    } finally {
      await t.stop();
      rmSync(mfg.stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});

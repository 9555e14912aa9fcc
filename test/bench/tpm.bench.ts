/**
 * TPM signing throughput on one swtpm in one run: the agent's TpmSigner (SHA-256, TPM2_Sign
 * in a salted HMAC session with the digest encrypted, response HMAC checked, low-S shaping)
 * against a bare TPM2_Sign loop of prebuilt password-session command bytes on the same
 * connection and loaded key (no session cost), and against `tpm2_load` + `tpm2_sign` run as
 * processes per signature (how shell integrations do it). The two are interleaved in chunks of 25
 * signatures and totalled, so load drift on a noisy machine hits both alike. The ratio is the
 * price of the session (HMAC, KDFa and AES on both sides); measured 0.54 here (450 vs 840/s,
 * loaded machine, 2026-11-30), where the password-session signer of issue 3 was >= 0.9.
 * Run alone: `node --import tsx test/bench/tpm.bench.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256 } from '@noble/hashes/sha2.js';
import { startSwtpm } from '../../hil/swtpm.ts';
import { openTpmSigner } from '../../agent/signing/tpm-signer.ts';
import { tpmKeysInit } from '../../agent/signing/tpm-provision.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from '../../agent/signing/tpm-key-files.ts';
import { buildCommand, responseCode } from '../../drivers/tpm/command.ts';
import { ALG, CC, RH, ST } from '../../drivers/tpm/constants.ts';
import { TpmWriter } from '../../drivers/tpm/marshal.ts';

const run = promisify(execFile);

export async function benchTpm(opts: { signatures?: number; rounds?: number; processSignatures?: number } = {}): Promise<Record<string, number>> {
  const n = opts.signatures ?? 400;
  const rounds = opts.rounds ?? 3;
  const m = opts.processSignatures ?? 15;
  const tpm = await startSwtpm();
  const dir = await mkdtemp(join(tmpdir(), 'tpm-bench-'));
  try {
    await tpmKeysInit({ tcti: tpm.tcti, stateDir: dir });
    const paths = tpmKeyPaths(dir);
    const keyAuth = readAuthSecrets(paths.authFile).signingKey;
    const signer = await openTpmSigner({ tcti: tpm.tcti, stateDir: dir });
    const handle = await signer.keyHandle();
    const bare = buildCommand({
      cc: CC.Sign,
      handles: [handle],
      auths: [keyAuth],
      params: new TpmWriter().tpm2b(sha256(new TextEncoder().encode('bench'))).u16(ALG.ECDSA).u16(ALG.SHA256).u16(ST.HASHCHECK).u32(RH.NULL).tpm2b(new Uint8Array(0)).finish(),
    });
    const transport = signer.tpm.transport;
    const msgs = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`bench observation ${i}`));
    for (let i = 0; i < 20; i++) await signer.sign(msgs[i]!);

    // Interleave in chunks so that drift in machine load hits both paths alike.
    const chunk = 25;
    let signerMs = 0;
    let bareMs = 0;
    for (let r = 0; r < rounds; r++) {
      for (let start = 0; start < n; start += chunk) {
        let t0 = performance.now();
        for (let i = start; i < Math.min(n, start + chunk); i++) await signer.sign(msgs[i]!);
        signerMs += performance.now() - t0;
        t0 = performance.now();
        for (let i = start; i < Math.min(n, start + chunk); i++) {
          const resp = await transport.transmit(bare, 30_000);
          if (responseCode(resp) !== 0) throw new Error(`bare TPM2_Sign failed: 0x${responseCode(resp).toString(16)}`);
        }
        bareMs += performance.now() - t0;
      }
    }
    const bestSigner = (n * rounds) / (signerMs / 1000);
    const bestBare = (n * rounds) / (bareMs / 1000);
    // tpm2-tools needs the data socket: swtpm serves one connection at a time.
    await signer.close();

    await writeFile(join(dir, 'msg.bin'), new TextEncoder().encode('bench'));
    const file = readKeyFile(paths.keyFile);
    const tpm2b = (b: Uint8Array) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    await writeFile(join(dir, 'key.pub'), tpm2b(file.blobs.signingKey.publicArea));
    await writeFile(join(dir, 'key.priv'), tpm2b(file.blobs.signingKey.privateBlob));
    const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
    const t0 = performance.now();
    for (let i = 0; i < m; i++) {
      await run('tpm2_load', ['-C', `0x${file.srk.handle.toString(16)}`, '-u', 'key.pub', '-r', 'key.priv', '-c', 'key.ctx'], { env, cwd: dir });
      await run('tpm2_sign', ['-c', 'key.ctx', '-p', 'hex:' + Buffer.from(keyAuth).toString('hex'), '-g', 'sha256', '-o', 'sig.bin', 'msg.bin'], { env, cwd: dir });
      await run('tpm2_flushcontext', ['-t'], { env, cwd: dir });
    }
    const processPerSec = m / ((performance.now() - t0) / 1000);

    return {
      tpmSignerSignaturesPerSecond: round(bestSigner),
      bareTpm2SignSignaturesPerSecond: round(bestBare),
      tpm2SignProcessSignaturesPerSecond: round(processPerSec),
      ratioSignerToBare: round(bestSigner / bestBare, 3),
      ratioSignerToProcess: round(bestSigner / processPerSec, 1),
      signaturesPerRound: n,
      rounds,
      processSignatures: m,
    };
  } finally {
    await tpm.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

if (process.argv[1]?.endsWith('tpm.bench.ts')) {
  benchTpm().then((r) => console.log(JSON.stringify(r, null, 2)));
}

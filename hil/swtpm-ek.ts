/**
 * A manufactured swtpm: `swtpm_setup --create-ek-cert` with `swtpm_localca` playing the TPM
 * manufacturer, on a state directory and a local CA made for the caller (never the system's
 * /var/lib/swtpm-localca). Start it with `startSwtpm({ stateDir })`.
 *
 * swtpm_setup certifies an RSA 2048 EK and an ECC EK on P-384 (ek-secp384r1.crt); the ECC
 * P-256 EK of the EK Credential Profile (template L-2, certificate in NV 0x01C0000A) is added
 * as a manufacturer would: tpm2_createek -G ecc derives it, swtpm_localca certifies it with the
 * same CA, and tpm2_nvdefine/tpm2_nvwrite store the certificate under the platform hierarchy.
 */
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSwtpm } from './swtpm.ts';

const run = promisify(execFile);

export interface ManufacturedTpm {
  stateDir: string;
  /** The local CA's self-signed root certificate (PEM): the "manufacturer CA". */
  rootCaFile: string;
  /** The intermediate that signed the EK certificates (PEM). */
  issuerCaFile: string;
  /** The RSA 2048 EK certificate as written by swtpm_setup (DER). */
  ekCertFile: string;
  /** The ECC P-256 EK certificate (DER), also in NV 0x01C0000A. */
  eccEkCertFile: string;
}

/** Manufactures TPM state in a new directory; a second call with the same `caDir` reuses that CA. */
export async function manufactureSwtpm(opts: { caDir?: string } = {}): Promise<ManufacturedTpm> {
  const root = await mkdtemp(join(tmpdir(), 'swtpm-mfg-'));
  const stateDir = join(root, 'state');
  const caDir = opts.caDir ?? join(root, 'ca');
  const certs = join(root, 'certs');
  await Promise.all([mkdir(stateDir), mkdir(caDir, { recursive: true }), mkdir(certs)]);
  const localca = join(root, 'localca.conf');
  await writeFile(localca, `statedir = ${caDir}\nsigningkey = ${caDir}/signkey.pem\nissuercert = ${caDir}/issuercert.pem\ncertserial = ${caDir}/certserial\n`);
  const options = join(root, 'localca.options');
  await writeFile(options, '--platform-manufacturer place-agent-test\n--platform-version 2.1\n--platform-model swtpm\n');
  const setup = join(root, 'swtpm_setup.conf');
  await writeFile(setup, `create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = ${localca}\ncreate_certs_tool_options = ${options}\nactive_pcr_banks = sha256\n`);
  await run('swtpm_setup', ['--tpm2', '--tpmstate', stateDir, '--config', setup, '--create-ek-cert', '--write-ek-cert-files', certs, '--overwrite']);
  const eccEkCertFile = await certifyEccP256Ek(root, stateDir, localca, options);
  return { stateDir, rootCaFile: join(caDir, 'swtpm-localca-rootca-cert.pem'), issuerCaFile: join(caDir, 'issuercert.pem'), ekCertFile: join(certs, 'ek-rsa2048.crt'), eccEkCertFile };
}

/** EK Credential Profile, EK certificate NV indices: ECC NIST P-256. */
const ECC_P256_EK_CERT_INDEX = '0x01c0000a';

async function certifyEccP256Ek(root: string, stateDir: string, localca: string, options: string): Promise<string> {
  const tpm = await startSwtpm({ stateDir });
  const env = { ...process.env, TPM2TOOLS_TCTI: tpm.tcti };
  const out = join(root, 'ek-p256');
  await mkdir(out);
  try {
    await run('tpm2_createek', ['-G', 'ecc', '-f', 'pem', '-u', join(out, 'ek.pem'), '-c', join(out, 'ek.ctx')], { env });
    await run('tpm2_flushcontext', ['-t'], { env });
    const jwk = createPublicKey(await readFile(join(out, 'ek.pem'))).export({ format: 'jwk' });
    const hex = (c: string | undefined) => Buffer.from(c!, 'base64url').toString('hex');
    await run('swtpm_localca', [
      '--type', 'ek', '--ek', `x=${hex(jwk.x)},y=${hex(jwk.y)},id=secp256r1`, '--dir', out, '--configfile', localca, '--optsfile', options,
      '--tpm-spec-family', '2.0', '--tpm-spec-revision', '164', '--tpm-spec-level', '0', '--tpm2', '--decryption',
      '--tpm-manufacturer', 'id:00001014', '--tpm-model', 'swtpm', '--tpm-version', 'id:20191023',
    ]);
    const cert = join(out, 'ek.cert');
    const size = (await readFile(cert)).length;
    await run('tpm2_nvdefine', [ECC_P256_EK_CERT_INDEX, '-C', 'p', '-s', String(size), '-a', 'ppwrite|ppread|ownerread|authread|no_da|platformcreate'], { env });
    await run('tpm2_nvwrite', [ECC_P256_EK_CERT_INDEX, '-C', 'p', '-i', cert], { env });
    return cert;
  } finally {
    await tpm.stop();
  }
}

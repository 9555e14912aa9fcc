/**
 * A manufactured swtpm: `swtpm_setup --create-ek-cert` with `swtpm_localca` playing the TPM
 * manufacturer, on a state directory and a local CA made for the caller (never the system's
 * /var/lib/swtpm-localca). Start it with `startSwtpm({ stateDir })`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ManufacturedTpm {
  stateDir: string;
  /** The local CA's self-signed root certificate (PEM): the "manufacturer CA". */
  rootCaFile: string;
  /** The intermediate that signed the EK certificates (PEM). */
  issuerCaFile: string;
  /** The RSA 2048 EK certificate as written by swtpm_setup (DER). */
  ekCertFile: string;
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
  return { stateDir, rootCaFile: join(caDir, 'swtpm-localca-rootca-cert.pem'), issuerCaFile: join(caDir, 'issuercert.pem'), ekCertFile: join(certs, 'ek-rsa2048.crt') };
}

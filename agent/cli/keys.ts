import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { createKeyFile, loadKeyFile } from '../signing/software-signer.ts';
import { coseKeyThumbprint } from '../encoding/cose-key.ts';
import { FileEpochCounter } from '../signing/file-epoch.ts';
import { tpmKeysInit, tpmKeysShow } from '../signing/tpm-provision.ts';
import { loadOrCreateUeid, issuerUrn } from '../runtime/identity.ts';
import { loadConfigFile } from '../config/load.ts';
import { CliError } from './errors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (rest.some((a) => a === '--owner-auth' || a.startsWith('--owner-auth='))) {
    // A secret on the command line is visible to every local user in /proc/PID/cmdline.
    throw new CliError('USAGE', 'the owner auth is never taken from the command line: put it in a file only root can read and pass --owner-auth-file FILE');
  }
  const { values } = parseArgs({
    args: rest,
    options: { state: { type: 'string' }, config: { type: 'string' }, tpm: { type: 'string' }, json: { type: 'boolean', default: false }, 'owner-auth-file': { type: 'string' } },
  });
  // With --config the state directory and TPM come from the gateway's configuration.
  const cfg = values.config ? loadConfigFile(values.config) : undefined;
  const stateDir = resolve(values.state ?? cfg?.stateDir ?? 'var');
  if (!values.tpm && cfg?.signer.kind === 'tpm') values.tpm = cfg.signer.tcti ?? 'device:/dev/tpmrm0';
  // Only provisioning needs the owner auth, from a file whose mode is checked (tpm-key-files.ts).
  const ownerAuthFile = values['owner-auth-file'] ?? cfg?.signer.ownerAuthFile;
  const tpmIds = {
    ...(cfg?.signer.srkHandle !== undefined ? { srkHandle: cfg.signer.srkHandle } : {}),
    ...(cfg?.signer.nvIndex !== undefined ? { nvIndex: cfg.signer.nvIndex } : {}),
  };
  if (sub === 'init') {
    const ueid = loadOrCreateUeid(stateDir);
    if (values.tpm) {
      const r = await tpmKeysInit({ tcti: values.tpm, stateDir, ...tpmIds, ...(ownerAuthFile ? { ownerAuthFile } : {}) });
      process.stdout.write(
        `TPM key under the storage root key 0x${r.srkHandle.toString(16)} (blobs in ${join(stateDir, 'tpm-key.json')}, auth in ${join(stateDir, 'tpm-auth')}, mode 0600); kid ${hex(coseKeyThumbprint(r.publicKey))}; counter ${r.counter}; issuer ${issuerUrn(ueid)}\n`,
      );
      return 0;
    }
    const path = join(stateDir, 'device.key');
    if (existsSync(path)) {
      const s = loadKeyFile(path);
      process.stdout.write(`key exists at ${path}; kid ${hex(coseKeyThumbprint(await s.publicKey()))}\n`);
      return 0;
    }
    const s = createKeyFile(path);
    process.stdout.write(`created ${path} (mode 0600); kid ${hex(coseKeyThumbprint(await s.publicKey()))}; issuer ${issuerUrn(ueid)}\n`);
    return 0;
  }
  if (sub === 'show') {
    let info: Record<string, unknown>;
    if (values.tpm) {
      const r = await tpmKeysShow({ tcti: values.tpm, stateDir });
      info = { kind: 'tpm', kid: hex(coseKeyThumbprint(r.publicKey)), publicKey: hex(r.publicKey), srk: `0x${r.srkHandle.toString(16)}`, nvIndex: `0x${r.nvIndex.toString(16)}`, counter: String(r.counter) };
    } else {
      const s = loadKeyFile(join(stateDir, 'device.key'));
      const pub = await s.publicKey();
      info = { kind: 'software', kid: hex(coseKeyThumbprint(pub)), publicKey: hex(pub), keyFile: join(stateDir, 'device.key'), counter: String(await new FileEpochCounter(join(stateDir, 'epoch')).read()) };
    }
    if (existsSync(join(stateDir, 'device.id'))) info.issuer = issuerUrn(loadOrCreateUeid(stateDir));
    process.stdout.write(values.json ? JSON.stringify(info) + '\n' : Object.entries(info).map(([k, v]) => `${k.padEnd(10)} ${String(v)}`).join('\n') + '\n');
    return 0;
  }
  throw new CliError('USAGE', 'usage: place-agent keys init|show [--state DIR] [--config FILE] [--tpm TCTI [--owner-auth-file FILE]] [--json]');
}

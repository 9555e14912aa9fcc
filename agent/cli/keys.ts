import { join, resolve } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { createKeyFile, loadKeyFile } from '../signing/software-signer.ts';
import { coseKeyFromPublic, coseKeyThumbprint } from '../encoding/cose-key.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { FileEpochCounter } from '../signing/file-epoch.ts';
import { tpmKeysInit, tpmKeysShow } from '../signing/tpm-provision.ts';
import { loadOrCreateUeid, issuerUrn } from '../runtime/identity.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Parsed } from './args.ts';
import type { KEYS_INIT_FLAGS, KEYS_SHOW_FLAGS } from './commands.ts';
import { CliCode, CliError } from './errors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Where {
  stateDir: string;
  tcti?: string;
  keyFile: string;
  ownerAuthFile?: string;
  tpmIds: { srkHandle?: number; nvIndex?: number };
}

/** With --config the state directory and TPM come from the gateway's configuration. */
function where(v: { config?: string | undefined; state?: string | undefined; tpm?: string | undefined; 'owner-auth-file'?: string | undefined }): Where {
  if (v.config && v.state) throw new CliError(CliCode.USAGE, '--state and --config both name the state directory: give one');
  const cfg = v.config ? loadConfigFile(v.config) : undefined;
  const stateDir = resolve(v.state ?? cfg?.stateDir ?? 'var');
  const tcti = v.tpm ?? (cfg?.signer.kind === 'tpm' ? (cfg.signer.tcti ?? 'device:/dev/tpmrm0') : undefined);
  // Only provisioning needs the owner auth, from a file whose mode is checked (tpm-key-files.ts).
  const ownerAuthFile = v['owner-auth-file'] ?? cfg?.signer.ownerAuthFile;
  const tpmIds = {
    ...(cfg?.signer.srkHandle !== undefined ? { srkHandle: cfg.signer.srkHandle } : {}),
    ...(cfg?.signer.nvIndex !== undefined ? { nvIndex: cfg.signer.nvIndex } : {}),
  };
  return { stateDir, keyFile: cfg?.signer.keyFile ?? join(stateDir, 'device.key'), tpmIds, ...(tcti ? { tcti } : {}), ...(ownerAuthFile ? { ownerAuthFile } : {}) };
}

export async function keysInitCommand({ values }: Parsed<typeof KEYS_INIT_FLAGS>): Promise<number> {
  const { stateDir, tcti, keyFile, ownerAuthFile, tpmIds } = where(values);
  const ueid = loadOrCreateUeid(stateDir);
  if (tcti) {
    const r = await tpmKeysInit({ tcti, stateDir, ...tpmIds, ...(ownerAuthFile ? { ownerAuthFile } : {}) });
    process.stdout.write(
      `TPM key under the storage root key 0x${r.srkHandle.toString(16)} (blobs in ${join(stateDir, 'tpm-key.json')}, auth in ${join(stateDir, 'tpm-auth')}, mode 0600); kid ${hex(coseKeyThumbprint(r.publicKey))}; counter ${r.counter}; issuer ${issuerUrn(ueid)}\n`,
    );
    return 0;
  }
  if (existsSync(keyFile)) {
    const s = loadKeyFile(keyFile);
    process.stdout.write(`key exists at ${keyFile}; kid ${hex(coseKeyThumbprint(await s.publicKey()))}\n`);
    return 0;
  }
  const s = createKeyFile(keyFile);
  process.stdout.write(`created ${keyFile} (mode 0600); kid ${hex(coseKeyThumbprint(await s.publicKey()))}; issuer ${issuerUrn(ueid)}\n`);
  return 0;
}

export async function keysShowCommand({ values }: Parsed<typeof KEYS_SHOW_FLAGS>): Promise<number> {
  const { stateDir, tcti, keyFile } = where(values);
  let info: Record<string, unknown>;
  let pub: Uint8Array;
  if (tcti) {
    const r = await tpmKeysShow({ tcti, stateDir });
    pub = r.publicKey;
    info = { kind: 'tpm', kid: hex(coseKeyThumbprint(pub)), publicKey: hex(pub), srk: `0x${r.srkHandle.toString(16)}`, nvIndex: `0x${r.nvIndex.toString(16)}`, counter: String(r.counter) };
  } else {
    pub = await loadKeyFile(keyFile).publicKey();
    info = { kind: 'software', kid: hex(coseKeyThumbprint(pub)), publicKey: hex(pub), keyFile, counter: String(await new FileEpochCounter(join(stateDir, 'epoch')).read()) };
  }
  if (existsSync(join(stateDir, 'device.id'))) info.issuer = issuerUrn(loadOrCreateUeid(stateDir));
  if (values['public-out']) {
    // Only the public half: this is the file to hand to the authority (authority issue --key).
    try {
      writeFileSync(values['public-out'], encodeDeterministic(coseKeyFromPublic(pub)));
    } catch (e) {
      throw new CliError(CliCode.OUTPUT_UNWRITABLE, `cannot write ${values['public-out']}: ${(e as Error).message}`);
    }
    info.publicOut = values['public-out'];
  }
  process.stdout.write(values.json ? JSON.stringify(info) + '\n' : Object.entries(info).map(([k, v]) => `${k.padEnd(10)} ${String(v)}`).join('\n') + '\n');
  return 0;
}

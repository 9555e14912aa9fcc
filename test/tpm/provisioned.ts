/** Test helper: a state directory provisioned by `tpmKeysInit` on a given swtpm. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tpmKeysInit, type TpmKeysInitResult } from '../../agent/signing/tpm-provision.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from '../../agent/signing/tpm-key-files.ts';

export async function provisionedDir(tcti: string, opts: { srkHandle?: number; nvIndex?: number; ownerAuthFile?: string } = {}): Promise<{ dir: string; init: TpmKeysInitResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'tpm-state-'));
  const init = await tpmKeysInit({ tcti, stateDir: dir, ...opts });
  return { dir, init };
}

/** The key file and the secrets, for tests that drive tpm2-tools with them. */
export function keyMaterial(dir: string) {
  const { keyFile, authFile } = tpmKeyPaths(dir);
  return { file: readKeyFile(keyFile), auth: readAuthSecrets(authFile) };
}

/**
 * TCTI strings in tpm2-tools' syntax (`TPM2TOOLS_TCTI`, `-T`): `<name>:<config>`.
 *   swtpm:host=127.0.0.1,port=2321   swtpm's raw socket (control channel on port + 1 unless ctrlport=)
 *   swtpm                            defaults host=localhost, port=2321 as tpm2-tss does
 *   device:/dev/tpmrm0               a character device (also `device` alone = /dev/tpmrm0)
 * Pure parser; unknown names and malformed options are a TPM_TCTI error naming the field.
 */
import { TpmError } from './tpm-error.ts';

export type TctiConfig =
  | { kind: 'swtpm'; host: string; port: number; ctrlPort: number }
  | { kind: 'device'; path: string };

export function parseTcti(tcti: string): TctiConfig {
  const s = tcti.trim();
  const colon = s.indexOf(':');
  const name = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const conf = colon < 0 ? '' : s.slice(colon + 1);
  if (name === 'device') {
    const path = conf === '' ? '/dev/tpmrm0' : conf;
    if (!path.startsWith('/')) throw new TpmError('TPM_TCTI', `TCTI device path must be absolute: "${path}"`, { field: 'path' });
    return { kind: 'device', path };
  }
  if (name === 'swtpm') {
    const opts = new Map<string, string>();
    for (const part of conf.split(',').filter((p) => p !== '')) {
      const eq = part.indexOf('=');
      if (eq < 0) throw new TpmError('TPM_TCTI', `TCTI option "${part}" is not key=value`, { field: part });
      opts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    for (const k of opts.keys()) {
      if (!['host', 'port', 'ctrlport'].includes(k)) throw new TpmError('TPM_TCTI', `unknown swtpm TCTI option "${k}"`, { field: k });
    }
    const host = opts.get('host') || 'localhost';
    const port = parsePort(opts.get('port') ?? '2321', 'port');
    const ctrlPort = opts.has('ctrlport') ? parsePort(opts.get('ctrlport')!, 'ctrlport') : port + 1;
    return { kind: 'swtpm', host, port, ctrlPort };
  }
  throw new TpmError('TPM_TCTI', `unsupported TCTI "${name}" (use swtpm:host=..,port=.. or device:/dev/tpmrm0)`, { field: 'name' });
}

function parsePort(v: string, field: string): number {
  if (!/^\d+$/.test(v)) throw new TpmError('TPM_TCTI', `TCTI ${field} "${v}" is not a number`, { field });
  const n = Number(v);
  if (n < 1 || n > 65535) throw new TpmError('TPM_TCTI', `TCTI ${field} ${n} is out of range`, { field });
  return n;
}

/**
 * What `run` checks about a configuration after its schema and before opening anything:
 * files exist and are readable with the right modes, the credential is this device's and
 * covers the place and every kind the agent signs, trust anchors read, Modbus profiles
 * resolve. `run` and `config check` both call this, so they refuse the same files with the
 * same message. Devices (serial ports, the TPM) are not opened here.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import type { ConfigErrorCode } from './errors.ts';
import { loadKeyFile } from '../signing/software-signer.ts';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import { parseCredentialClaims } from '../authority/credential.ts';
import { scopeCovers } from '../authority/scope.ts';
import { OBSERVATION_KINDS } from '../authority/levels.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { issuerUrn, loadOrCreateUeid, ueidPath } from '../runtime/identity.ts';
import { parseTcti } from '../../drivers/tpm/tcti.ts';
import type { AgentConfig } from './schema.ts';
import { resolveModbusProfiles } from './modbus-profiles.ts';

/** Every kind a place agent signs on its chain (DESIGN.md, claim -65537). */
const AGENT_KINDS = OBSERVATION_KINDS;

class PreflightError extends CodedError<ConfigErrorCode> {}

export interface PreflightReport {
  checked: string[];
}

function readable(path: string, what: string, code: ConfigErrorCode): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PreflightError(code, `cannot read ${what} ${path}: ${why}`, { path });
  }
}

export function preflightConfig(cfg: AgentConfig, nowMs = Date.now()): PreflightReport {
  const checked: string[] = [];
  const stateDir = resolve(cfg.stateDir);
  if (cfg.signer.kind === 'software') {
    const keyFile = cfg.signer.keyFile ?? join(stateDir, 'device.key');
    loadKeyFile(keyFile);
    checked.push(`key ${keyFile} (mode 0600)`);
  } else {
    // A software key beside a TPM-signed gateway could sign for it without the TPM: remove it first.
    const stray = join(stateDir, 'device.key');
    if (existsSync(stray)) throw new PreflightError('KEY_SOFTWARE_WITH_TPM', `the configuration names a TPM, but a software key lies in ${stray}: remove it (it is not used, and must not be able to sign for this gateway)`, { path: stray });
    parseTcti(cfg.signer.tcti ?? 'device:/dev/tpmrm0');
    if (cfg.signer.ownerAuthFile) readable(cfg.signer.ownerAuthFile, 'TPM owner auth file', 'CONFIG_FILE_UNREADABLE');
    checked.push(`TPM ${cfg.signer.tcti ?? 'device:/dev/tpmrm0'} (not opened)`);
  }
  const credFile = cfg.credential.file ?? join(stateDir, 'device.cred');
  const cred = readable(credFile, 'credential', 'IDENTITY_NO_CREDENTIAL');
  for (const p of cfg.credential.parents) readable(p, 'parent credential', 'IDENTITY_NO_CREDENTIAL');
  let claims;
  try {
    claims = parseCredentialClaims(decodeSign1(cred).payload);
  } catch {
    claims = undefined;
  }
  if (!claims) throw new PreflightError('CREDENTIAL_MALFORMED', `${credFile} is not a credential (a COSE_Sign1 CWT with the claims of DESIGN.md)`, { path: credFile });
  if (!existsSync(ueidPath(stateDir))) {
    throw new PreflightError('IDENTITY_MISSING', `${ueidPath(stateDir)} is missing: the device identity the credential was issued for (${claims.sub}); restore it, or run place-agent keys init and have a new credential issued`, { path: ueidPath(stateDir) });
  }
  const iss = issuerUrn(loadOrCreateUeid(stateDir));
  if (claims.sub !== iss) throw new PreflightError('CREDENTIAL_NOT_THIS_DEVICE', `${credFile} is for ${claims.sub}, but this device is ${iss} (${ueidPath(stateDir)})`, { path: credFile });
  const nowSec = Math.floor(nowMs / 1000);
  if (claims.exp <= nowSec) throw new PreflightError('CREDENTIAL_EXPIRED', `${credFile} expired at ${new Date(claims.exp * 1000).toISOString()}`, { path: credFile });
  if (claims.level !== 'gateway') throw new PreflightError('CREDENTIAL_LEVEL', `${credFile} is a ${claims.level} credential; a place agent signs observations under a gateway credential (authority issue --level gateway)`, { path: credFile });
  for (const kind of AGENT_KINDS) {
    const why = scopeCovers(claims.scope, cfg.place, kind);
    if (why) throw new PreflightError('CREDENTIAL_SCOPE', `${credFile} does not cover what this agent signs: ${why} (place ${cfg.place}; the agent signs ${AGENT_KINDS.join(', ')})`, { path: credFile });
  }
  checked.push(`credential ${credFile} for ${claims.sub}, covering ${cfg.place}, valid until ${new Date(claims.exp * 1000).toISOString()}`);
  for (const a of cfg.trustAnchors) loadTrustAnchor(a);
  if (cfg.trustAnchors.length) checked.push(`${cfg.trustAnchors.length} trust anchor(s)`);
  if (cfg.mqtt.passwordFile) readable(cfg.mqtt.passwordFile, 'MQTT password file', 'CONFIG_FILE_UNREADABLE');
  const storePath = cfg.store.path ?? join(stateDir, 'agent.db');
  if (existsSync(storePath)) {
    try {
      accessSync(storePath, constants.R_OK | constants.W_OK);
    } catch {
      throw new PreflightError('STORE_UNWRITABLE', `cannot write database ${storePath}`, { path: storePath });
    }
  }
  const profiles = resolveModbusProfiles(cfg);
  if (profiles.size) checked.push(`Modbus profile(s) ${[...profiles].map(([slave, p]) => `${slave}: ${p.name}`).join(', ')}`);
  return { checked };
}

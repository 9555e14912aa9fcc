/**
 * The device's identity on disk under the state directory: the UEID (RFC 9711 §4.2.1, type
 * 0x01 = random, 16 bytes), the leaf credential and its parents. The issuer URN derives
 * from the UEID.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Identity } from '../lineage/observation.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { RuntimeError } from './errors.ts';
import { CodedError } from '../../core/coded-error.ts';

export function ueidPath(stateDir: string): string {
  return join(stateDir, 'device.id');
}

export function loadOrCreateUeid(stateDir: string): Uint8Array {
  const p = ueidPath(stateDir);
  if (existsSync(p)) {
    const hex = readFileSync(p, 'utf8').trim();
    if (!/^01[0-9a-f]{32}$/.test(hex)) throw new RuntimeError('IDENTITY_CORRUPT', `${p} does not hold a UEID (01 followed by 16 bytes in hex)`, { path: p });
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const ueid = new Uint8Array(17);
  ueid[0] = 0x01;
  ueid.set(randomBytes(16), 1);
  writeFileSync(p, Buffer.from(ueid).toString('hex') + '\n', { mode: 0o644 });
  return ueid;
}

export const issuerUrn = (ueid: Uint8Array): string => `urn:place-agent:${Buffer.from(ueid).toString('hex')}`;

export function loadIdentity(stateDir: string, credFile: string, parentFiles: string[]): Identity {
  const ueid = loadOrCreateUeid(stateDir);
  const read = (f: string): Uint8Array => {
    try {
      const bytes = new Uint8Array(readFileSync(f));
      try {
        // It travels inline in every observation's header (label 13 / -65601): it must be one COSE_Sign1.
        decodeSign1(bytes);
      } catch (e) {
        throw new RuntimeError('IDENTITY_BAD_CREDENTIAL', `${f} is not a credential (a tagged COSE_Sign1): ${(e as Error).message}`, { path: f }, { cause: e });
      }
      return bytes;
    } catch (e) {
      if (e instanceof CodedError) throw e;
      throw new RuntimeError('IDENTITY_NO_CREDENTIAL', `cannot read credential ${f}; have the authority issue one (place-agent authority issue)`, { path: f }, { cause: e });
      throw new RuntimeError('IDENTITY_NO_CREDENTIAL', `cannot read credential ${f}; have the authority issue one (place-agent authority issue)`, { path: f }, { cause: e });
    }
  };
  return { iss: issuerUrn(ueid), ueid, credential: read(credFile), parents: parentFiles.map(read) };
}

/**
 * The enrolment messages as files (JSON, byte strings as base64url): the request
 * (`enroll request`), the challenge (`authority challenge`) and the answer (`enroll answer`,
 * read by `authority issue --enrollment`). Sizes are bounded before parsing; each field is
 * checked for type and length; unknown fields are refused.
 */
import { readFileSync, statSync } from 'node:fs';
import type { EnrollmentAnswer, EnrollmentChallenge, EnrollmentRequest } from '../signing/tpm-enroll.ts';
import { CliError } from './errors.ts';

const MAX_FILE = 64 * 1024;
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');

type Spec = Record<string, { kind: 'bytes'; max: number } | { kind: 'id' }>;

function read(path: string, what: string, spec: Spec): Record<string, Uint8Array | string> {
  const bad = (why: string) => new CliError('ENROLL_MALFORMED', `${what} ${path}: ${why}`, { path });
  let o: unknown;
  try {
    if (statSync(path).size > MAX_FILE) throw bad(`larger than ${MAX_FILE} bytes`);
    o = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw bad(`not readable JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('not a JSON object');
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) if (!(k in spec)) throw bad(`field "${k}" is not allowed`);
  const out: Record<string, Uint8Array | string> = {};
  for (const [k, f] of Object.entries(spec)) {
    const v = rec[k];
    if (typeof v !== 'string') throw bad(`field "${k}" is missing or not a string`);
    if (f.kind === 'id') {
      if (!/^[0-9a-f]{32}$/.test(v)) throw bad(`field "${k}" is not a challenge id`);
      out[k] = v;
    } else {
      if (!/^[A-Za-z0-9_-]*$/.test(v) || v.length > Math.ceil((f.max * 4) / 3)) throw bad(`field "${k}" is not base64url of at most ${f.max} bytes`);
      out[k] = new Uint8Array(Buffer.from(v, 'base64url'));
    }
  }
  return out;
}

export function encodeRequest(r: EnrollmentRequest): string {
  return JSON.stringify({ ekCertificate: b64(r.ekCertificate), akPublicArea: b64(r.akPublicArea) }) + '\n';
}

export function readRequest(path: string): EnrollmentRequest {
  const o = read(path, 'enrolment request', { ekCertificate: { kind: 'bytes', max: 4096 }, akPublicArea: { kind: 'bytes', max: 512 } });
  return { ekCertificate: o.ekCertificate as Uint8Array, akPublicArea: o.akPublicArea as Uint8Array };
}

export function encodeChallenge(c: EnrollmentChallenge): string {
  return JSON.stringify({ id: c.id, credentialBlob: b64(c.credentialBlob), encryptedSecret: b64(c.encryptedSecret) }) + '\n';
}

export function readChallenge(path: string): EnrollmentChallenge {
  const o = read(path, 'enrolment challenge', { id: { kind: 'id' }, credentialBlob: { kind: 'bytes', max: 256 }, encryptedSecret: { kind: 'bytes', max: 512 } });
  return { id: o.id as string, credentialBlob: o.credentialBlob as Uint8Array, encryptedSecret: o.encryptedSecret as Uint8Array };
}

export function encodeAnswer(a: EnrollmentAnswer): string {
  return JSON.stringify({ id: a.id, signingKeyPublicArea: b64(a.signingKeyPublicArea), certifyInfo: b64(a.certifyInfo), certifySignature: b64(a.certifySignature) }) + '\n';
}

export function readAnswer(path: string): EnrollmentAnswer {
  const o = read(path, 'enrolment answer', {
    id: { kind: 'id' },
    signingKeyPublicArea: { kind: 'bytes', max: 512 },
    certifyInfo: { kind: 'bytes', max: 1024 },
    certifySignature: { kind: 'bytes', max: 64 },
  });
  return { id: o.id as string, signingKeyPublicArea: o.signingKeyPublicArea as Uint8Array, certifyInfo: o.certifyInfo as Uint8Array, certifySignature: o.certifySignature as Uint8Array };
}

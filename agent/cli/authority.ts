import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { initAuthority, loadAuthority, type Authority, type Issuer } from '../authority/authority-dir.ts';
import { issueCredential, parseCredentialClaims } from '../authority/credential.ts';
import { issueGrant, verifyGrant } from '../authority/grant.ts';
import { defaultKinds, issuedRefusal, requestRefusal } from '../authority/issuance.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { loadKeyFile } from '../signing/software-signer.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { publicFromCoseKey } from '../encoding/cose-key.ts';
import { isValidPublicKey } from '../signing/p256.ts';
import { isCodedError } from '../../core/coded-error.ts';
import { finishEnrollment, startEnrollment, type TpmResidence } from '../authority/enrolment.ts';
import { encodeChallenge, readAnswer, readRequest } from './enrollment-file.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { AUTHORITY_CHALLENGE_FLAGS, AUTHORITY_GRANT_FLAGS, AUTHORITY_INIT_FLAGS, AUTHORITY_ISSUE_FLAGS } from './commands.ts';
import { CliCode, readInput, CliError } from './errors.ts';
import { list, placePattern, placeUrn, required, time, token, topicLevel, unitPattern, urn } from './validate.ts';

/** COSE_Key label of the private scalar (RFC 9053 §7.1.1, EC2 `d`). */
const COSE_KEY_D = -4;

const refusePrivate = (path: string): CliError =>
  new CliError('KEY_PRIVATE_REFUSED', `${path} holds a private key; give the authority the public key only (place-agent keys show --public-out FILE writes it)`, { path });

/** A subject public key from a COSE_Key file, a raw 65-byte point, or a PEM public key; private keys are refused. */
export function readSubjectKey(path: string): Uint8Array {
  const b = readInput(path, 'public key');
  if (b.length === 65 && b[0] === 4 && isValidPublicKey(b)) return b;
  const text = Buffer.from(b).toString('utf8');
  if (text.includes('-----BEGIN')) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw refusePrivate(path);
    try {
      const jwk = createPublicKey(text).export({ format: 'jwk' });
      if (jwk.crv !== 'P-256') throw new Error(`curve ${jwk.crv}`);
      const out = new Uint8Array(65);
      out[0] = 4;
      out.set(Buffer.from(jwk.x!, 'base64url'), 1);
      out.set(Buffer.from(jwk.y!, 'base64url'), 33);
      return out;
    } catch (e) {
      throw new CliError(CliCode.INPUT_UNREADABLE, `${path} is not a P-256 public key: ${(e as Error).message}`, { path });
    }
  }
  try {
    const key = decodeCbor(b);
    if (key instanceof Map && key.has(COSE_KEY_D)) throw refusePrivate(path);
    return publicFromCoseKey(key);
  } catch (e) {
    if (isCodedError(e) && e.code === 'KEY_PRIVATE_REFUSED') throw e;
    throw new CliError(CliCode.INPUT_UNREADABLE, `${path} is not a P-256 public key (COSE_Key, raw point or PEM)`, { path }, { cause: e });
  }
}

export function authorityDir(dir: string): Authority {
  if (!existsSync(join(dir, 'anchor.key'))) {
    throw new CliError(CliCode.INPUT_UNREADABLE, `${dir} is not an authority directory (no anchor.key); place-agent authority init --dir ${dir} creates one`, { dir });
  }
  try {
    return loadAuthority(dir);
  } catch (e) {
    if (isCodedError(e)) throw e;
    throw new CliError(CliCode.INPUT_UNREADABLE, `${dir} is not an authority directory (anchor.key, anchor.cose, root.cred, name): ${(e as Error).message}; place-agent authority init --dir ${dir} creates one`, { dir });
  }
}

export function write(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new CliError(CliCode.OUTPUT_UNWRITABLE, `cannot write ${path}: ${(e as Error).message}`, { path });
  }
}

/**
 * The credential that signs: `--parent CRED --parent-key KEY [--parent-chain P,P]` (its
 * parents, leaf's parent first), else the directory's own (`grant`: grantor.cred for grants,
 * root.cred for credentials).
 */
export function issuerFrom(a: Authority, v: { parent?: string | undefined; 'parent-key'?: string | undefined; 'parent-chain'?: string | undefined }, grant: boolean): Issuer {
  if (!v.parent) return grant ? a.grantor : { signer: a.signer, credential: a.rootCredential, parents: [] };
  const credential = readInput(v.parent, 'parent credential');
  if (!v['parent-key']) throw new CliError(CliCode.USAGE, "--parent needs --parent-key (the parent credential holder's key file)", { flag: '--parent-key' });
  readInput(v['parent-key'], 'parent key');
  const isRoot = Buffer.from(credential).equals(Buffer.from(a.rootCredential));
  const chain = list('parent-chain', v['parent-chain'], (_f, x) => x);
  const parents = chain ? chain.map((f) => readInput(f, 'parent credential')) : isRoot ? [] : [a.rootCredential];
  return { signer: loadKeyFile(v['parent-key']), credential, parents };
}

export async function authorityInitCommand({ values }: Parsed<typeof AUTHORITY_INIT_FLAGS>): Promise<number> {
  const dir = required(values.dir, 'dir', 'authority init');
  const name = urn('name', values.name!);
  const places = list('places', values.places, placePattern) ?? ['urn:place:*'];
  const a = await initAuthority(dir, name, Math.floor(Date.now() / 1000), { places, kinds: ['*'], units: ['*'], maxWindowMs: 30 * 86_400_000, maxGraceMs: 86_400_000, maxToleranceM: 50_000 });
  process.stdout.write(`authority ${a.name} in ${dir}: trust anchor ${dir}/anchor.cose, root credential ${dir}/root.cred, grant signer ${dir}/grantor.cred\n`);
  return 0;
}

/** Enrolment step 2 (agent/authority/enrolment.ts): the EK certificate checked against the manufacturer CAs, a challenge sealed to it. */
export async function authorityChallengeCommand({ values }: Parsed<typeof AUTHORITY_CHALLENGE_FLAGS>): Promise<number> {
  const cmd = 'authority challenge';
  const dir = required(values.dir, 'dir', cmd);
  const request = required(values.enrollment, 'enrollment', cmd);
  const cas = (list('ek-ca', required(values['ek-ca'], 'ek-ca', cmd), (_f, x) => x) ?? []).map((f) => Buffer.from(readInput(f, 'EK CA certificate')).toString('utf8'));
  readInput(request, 'enrolment request');
  const ch = startEnrollment(dir, readRequest(request), cas, Date.now());
  const out = values.out ?? 'challenge.json';
  write(out, new TextEncoder().encode(encodeChallenge(ch)));
  process.stdout.write(`wrote challenge ${out} (id ${ch.id}, valid 10 minutes, single use)\n`);
  return 0;
}

export async function authorityIssueCommand({ values }: Parsed<typeof AUTHORITY_ISSUE_FLAGS>): Promise<number> {
  const cmd = 'authority issue';
  const dir = required(values.dir, 'dir', cmd);
  const subject = urn('subject', required(values.subject, 'subject', cmd));
  const places = list('places', required(values.places, 'places', cmd), placePattern)!;
  const level = values.level!;
  const kinds = list('kinds', values.kinds, token) ?? defaultKinds(level);
  const units = list('units', values.units, unitPattern) ?? ['*'];
  const maxWindowMs = numberFlag(values['max-window-ms'], 'max-window-ms', 1, 366 * 86_400_000)!;
  const maxGraceMs = numberFlag(values['max-grace-ms'], 'max-grace-ms', 0, 366 * 86_400_000)!;
  const maxToleranceM = numberFlag(values['max-tolerance-m'], 'max-tolerance-m', 0, 1_000_000, false)!;
  const days = numberFlag(values.days, 'days', 1, 36_500);
  const depth = numberFlag(values.depth, 'depth', 0, 3);
  if (!values.key === !values.enrollment) throw new CliError(CliCode.USAGE, `place-agent ${cmd} needs one of --key FILE or --enrollment FILE`);
  let subjectKey: Uint8Array;
  let tpmResidence: TpmResidence | undefined;
  if (values.enrollment) {
    readInput(values.enrollment, 'enrolment answer');
    const done = finishEnrollment(dir, readAnswer(values.enrollment), Date.now());
    subjectKey = done.subjectKey;
    tpmResidence = done.residence;
  } else subjectKey = readSubjectKey(values.key!);
  const a = authorityDir(dir);
  const parent = issuerFrom(a, values, false);
  const parentClaims = parseCredentialClaims(decodeSign1(parent.credential).payload);
  if (!parentClaims) throw new CliError('ISSUE_REFUSED', `${values.parent ?? 'root.cred'} is not a readable credential`);
  const nowSec = Math.floor(Date.now() / 1000);
  const req = {
    issuer: parentClaims.sub,
    subject,
    subjectKey,
    scope: { places, kinds, units, maxWindowMs, maxGraceMs, maxToleranceM },
    notBefore: nowSec - 60,
    // Without --days: a year, or up to the parent's expiry when that comes first.
    notAfter: days !== undefined ? nowSec + days * 86_400 : Math.min(nowSec + 365 * 86_400, parentClaims.exp),
    now: nowSec,
    depth: depth ?? (level === 'authority' ? parentClaims.depth - 1 : 0),
    level,
    parentBytes: parent.credential,
    ...(tpmResidence ? { tpmResidence } : {}),
  };
  const why = requestRefusal(req, parentClaims);
  if (why) throw new CliError('ISSUE_REFUSED', `refusing to issue a credential that could not verify: ${why}`);
  const cred = await issueCredential(req, parent.signer);
  const after = issuedRefusal(cred, [parent.credential, ...parent.parents], [a.anchor], nowSec);
  if (after) throw new CliError('ISSUE_REFUSED', `refusing to issue a credential that could not verify: ${after}`);
  const out = values.out ?? 'device.cred';
  write(out, cred);
  const parents = [values.parent ?? join(dir, 'root.cred'), ...(list('parent-chain', values['parent-chain'], (_f, x) => x) ?? [])];
  process.stdout.write(`issued ${out} for ${subject} (level ${level}, kinds ${kinds.join(',')}); parents: ${parents.join(', ')}\n`);
  return 0;
}

export async function authorityGrantCommand({ values }: Parsed<typeof AUTHORITY_GRANT_FLAGS>): Promise<number> {
  const cmd = 'authority grant';
  const dir = required(values.dir, 'dir', cmd);
  const place = placeUrn('place', required(values.place, 'place', cmd));
  const reservation = topicLevel('reservation', required(values.reservation, 'reservation', cmd));
  const unit = required(values.unit, 'unit', cmd);
  const idx = unit.indexOf(':');
  if (idx <= 0 || idx === unit.length - 1) throw new CliError(CliCode.USAGE, `--unit must be SCHEME:ID such as mmsi:211331640, got ${JSON.stringify(unit)}`, { flag: '--unit' });
  token('unit', unit.slice(0, idx));
  const start = time('start', values.start);
  const end = time('end', values.end);
  if (!(start < end)) throw new CliError(CliCode.USAGE, `the window must start before it ends: --start ${new Date(start).toISOString()} is not before --end ${new Date(end).toISOString()}`, { start, end });
  const toleranceM = numberFlag(values.tolerance, 'tolerance', 0, 100_000, false)!;
  const graceMs = numberFlag(values.grace, 'grace', 0, 86_400_000)!;
  const a = authorityDir(dir);
  const grantor = issuerFrom(a, values, true);
  const grantorClaims = parseCredentialClaims(decodeSign1(grantor.credential).payload);
  if (!grantorClaims) throw new CliError('GRANT_REFUSED', 'the grant signer credential is not readable');
  const nowMs = Date.now();
  const bytes = await issueGrant(
    { issuer: grantorClaims.sub, place, reservation, unit: [unit.slice(0, idx), unit.slice(idx + 1)], window: [start, end], toleranceM, graceMs, nowMs },
    grantor.signer,
    grantor.credential,
    grantor.parents,
  );
  // The same check every gateway makes: a grant that would be refused is not written.
  const check = verifyGrant(bytes, [a.anchor], nowMs, place);
  if (!check.ok) throw new CliError('GRANT_REFUSED', `refusing to sign a grant that could not verify: ${check.code}: ${check.reason}`);
  const out = values.out ?? `${reservation}.grant`;
  write(out, bytes);
  process.stdout.write(`signed grant ${out}\n`);
  return 0;
}

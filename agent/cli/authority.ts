import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { initAuthority, loadAuthority, type Authority, type Issuer } from '../authority/authority-dir.ts';
import { issueCredential, parseCredentialClaims } from '../authority/credential.ts';
import { issueGrant, verifyGrant } from '../authority/grant.ts';
import { defaultKinds, issuedRefusal, requestRefusal } from '../authority/issuance.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { loadKeyFile } from '../signing/software-signer.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { publicFromCoseKey } from '../encoding/cose-key.ts';
import { isValidPublicKey } from '../signing/p256.ts';
import { finishEnrollment, startEnrollment, type TpmResidence } from '../authority/enrolment.ts';
import { encodeChallenge, readAnswer, readRequest } from './enrollment-file.ts';
import { CliError } from './errors.ts';

const list = (s: string | undefined, def: string[]): string[] => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : def);

/** A subject public key from a COSE_Key file, a raw 65-byte point, or a PEM SPKI/private key. */
export function readSubjectKey(path: string): Uint8Array {
  const b = new Uint8Array(readFileSync(path));
  if (b.length === 65 && b[0] === 4 && isValidPublicKey(b)) return b;
  const text = Buffer.from(b).toString('utf8');
  if (text.includes('-----BEGIN')) {
    const jwk = createPublicKey(text).export({ format: 'jwk' });
    const out = new Uint8Array(65);
    out[0] = 4;
    out.set(Buffer.from(jwk.x!, 'base64url'), 1);
    out.set(Buffer.from(jwk.y!, 'base64url'), 33);
    return out;
  }
  try {
    return publicFromCoseKey(decodeCbor(b));
  } catch (e) {
    throw new CliError('USAGE', `${path} is not a P-256 public key (COSE_Key, raw point or PEM)`, {}, { cause: e });
  }
}

function time(v: string | undefined, name: string): number {
  if (!v) throw new CliError('USAGE', `--${name} is required`);
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError('USAGE', `--${name} must be ms since the epoch or an ISO 8601 time, got ${v}`);
  return t;
}

/**
 * The credential that signs: `--parent CRED --parent-key KEY [--parent-chain P,P]` (its
 * parents, leaf's parent first), else the directory's own (`fallback`: root.cred for
 * credentials, grantor.cred for grants).
 */
function issuerFrom(a: Authority, dir: string, parent: string | undefined, key: string | undefined, chain: string | undefined, fallback: Uint8Array): Issuer {
  if (!parent) {
    if (fallback === a.rootCredential) return { signer: a.signer, credential: a.rootCredential, parents: [] };
    return a.grantor;
  }
  const credential = new Uint8Array(readFileSync(parent));
  if (!key) throw new CliError('USAGE', '--parent needs --parent-key (the parent credential holder\'s key file)');
  const isRoot = Buffer.from(credential).equals(Buffer.from(a.rootCredential));
  const parents = chain ? list(chain, []).map((f) => new Uint8Array(readFileSync(f))) : isRoot ? [] : [a.rootCredential];
  return { signer: loadKeyFile(key), credential, parents };
}

export async function authorityCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      name: { type: 'string', default: 'urn:place-authority:dev' },
      subject: { type: 'string' },
      key: { type: 'string' },
      enrollment: { type: 'string' },
      'ek-ca': { type: 'string' },
      places: { type: 'string' },
      kinds: { type: 'string' },
      units: { type: 'string' },
      'max-window-ms': { type: 'string', default: String(86_400_000) },
      'max-grace-ms': { type: 'string', default: String(3_600_000) },
      'max-tolerance-m': { type: 'string', default: '1000' },
      days: { type: 'string' },
      depth: { type: 'string' },
      level: { type: 'string', default: 'gateway' },
      parent: { type: 'string' },
      'parent-key': { type: 'string' },
      'parent-chain': { type: 'string' },
      place: { type: 'string' },
      reservation: { type: 'string' },
      unit: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      tolerance: { type: 'string', default: '50' },
      grace: { type: 'string', default: '60000' },
      out: { type: 'string' },
    },
  });
  if (!values.dir) throw new CliError('USAGE', '--dir DIR (the authority directory) is required');
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  if (sub === 'init') {
    const a = await initAuthority(values.dir, values.name!, nowSec, {
      places: list(values.places, ['urn:place:*']),
      kinds: ['*'],
      units: ['*'],
      maxWindowMs: 30 * 86_400_000,
      maxGraceMs: 86_400_000,
      maxToleranceM: 50_000,
    });
    process.stdout.write(`authority ${a.name} in ${values.dir}: trust anchor ${values.dir}/anchor.cose, root credential ${values.dir}/root.cred, grant signer ${values.dir}/grantor.cred\n`);
    return 0;
  }
  if (sub === 'challenge') {
    // Enrolment step 2 (agent/authority/enrolment.ts): EK certificate against the manufacturer CAs, challenge sealed to it.
    if (!values.enrollment || !values['ek-ca']) throw new CliError('USAGE', 'authority challenge needs --enrollment REQUEST.json and --ek-ca CA.pem[,CA.pem]');
    const cas = list(values['ek-ca'], []).map((f) => readFileSync(f, 'utf8'));
    const ch = startEnrollment(values.dir, readRequest(values.enrollment), cas, nowMs);
    const out = values.out ?? 'challenge.json';
    writeFileSync(out, encodeChallenge(ch));
    process.stdout.write(`wrote challenge ${out} (id ${ch.id}, valid 10 minutes, single use)\n`);
    return 0;
  }
  const a = loadAuthority(values.dir);
  if (sub === 'issue') {
    if (!values.subject || (!values.key && !values.enrollment) || !values.places) throw new CliError('USAGE', 'authority issue needs --subject, --places and --key or --enrollment');
    let subjectKey: Uint8Array;
    let tpmResidence: TpmResidence | undefined;
    if (values.enrollment) {
      const done = finishEnrollment(values.dir, readAnswer(values.enrollment), nowMs);
      subjectKey = done.subjectKey;
      tpmResidence = done.residence;
    } else subjectKey = readSubjectKey(values.key!);
    const parent = issuerFrom(a, values.dir, values.parent, values['parent-key'], values['parent-chain'], a.rootCredential);
    const parentClaims = parseCredentialClaims(decodeSign1(parent.credential).payload);
    if (!parentClaims) throw new CliError('ISSUE_REFUSED', `${values.parent ?? 'root.cred'} is not a readable credential`);
    const level = values.level!;
    const req = {
      issuer: parentClaims.sub,
      subject: values.subject,
      subjectKey,
      scope: {
        places: list(values.places, []),
        kinds: list(values.kinds, defaultKinds(level)),
        units: list(values.units, ['*']),
        maxWindowMs: Number(values['max-window-ms']),
        maxGraceMs: Number(values['max-grace-ms']),
        maxToleranceM: Number(values['max-tolerance-m']),
      },
      notBefore: nowSec - 60,
      // Without --days: a year, or up to the parent's expiry when that comes first.
      notAfter: values.days !== undefined ? nowSec + Number(values.days) * 86_400 : Math.min(nowSec + 365 * 86_400, parentClaims.exp),
      now: nowSec,
      depth: values.depth !== undefined ? Number(values.depth) : level === 'authority' ? parentClaims.depth - 1 : 0,
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
    writeFileSync(out, cred);
    process.stdout.write(`issued ${out} for ${values.subject} (level ${level}, kinds ${req.scope.kinds.join(',')}); parents: ${[values.parent ?? join(values.dir, 'root.cred'), ...(values['parent-chain'] ? list(values['parent-chain'], []) : [])].join(', ')}\n`);
    return 0;
  }
  if (sub === 'grant') {
    if (!values.place || !values.reservation || !values.unit) throw new CliError('USAGE', 'authority grant needs --place, --reservation, --unit SCHEME:ID, --start, --end');
    const idx = values.unit.indexOf(':');
    if (idx <= 0) throw new CliError('USAGE', `--unit must be SCHEME:ID, got ${values.unit}`);
    const grantor = issuerFrom(a, values.dir, values.parent, values['parent-key'], values['parent-chain'], a.grantor.credential);
    const grantorClaims = parseCredentialClaims(decodeSign1(grantor.credential).payload);
    if (!grantorClaims) throw new CliError('GRANT_REFUSED', 'the grant signer credential is not readable');
    const bytes = await issueGrant(
      {
        issuer: grantorClaims.sub,
        place: values.place,
        reservation: values.reservation,
        unit: [values.unit.slice(0, idx), values.unit.slice(idx + 1)],
        window: [time(values.start, 'start'), time(values.end, 'end')],
        toleranceM: Number(values.tolerance),
        graceMs: Number(values.grace),
        nowMs,
      },
      grantor.signer,
      grantor.credential,
      grantor.parents,
    );
    // The same check every gateway makes: a grant that would be refused is not written.
    const check = verifyGrant(bytes, [a.anchor], nowMs, values.place);
    if (!check.ok) throw new CliError('GRANT_REFUSED', `refusing to sign a grant that could not verify: ${check.code}: ${check.reason}`);
    const out = values.out ?? `${values.reservation}.grant`;
    writeFileSync(out, bytes);
    process.stdout.write(`signed grant ${out}\n`);
    return 0;
  }
  throw new CliError('USAGE', 'usage: place-agent authority init|challenge|issue|grant --dir DIR ...');
}

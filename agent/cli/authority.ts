import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { initAuthority, loadAuthority } from '../authority/authority-dir.ts';
import { issueCredential } from '../authority/credential.ts';
import { issueGrant } from '../authority/grant.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { publicFromCoseKey } from '../encoding/cose-key.ts';
import { isValidPublicKey } from '../signing/p256.ts';
import { verifyEnrollment } from '../signing/tpm-enroll.ts';
import { CodedError } from '../../core/coded-error.ts';
import { decodeEnrollment } from './enrollment-file.ts';

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
    throw new CodedError('USAGE', `${path} is not a P-256 public key (COSE_Key, raw point or PEM)`, {}, { cause: e });
  }
}

function time(v: string | undefined, name: string): number {
  if (!v) throw new CodedError('USAGE', `--${name} is required`);
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CodedError('USAGE', `--${name} must be ms since the epoch or an ISO 8601 time, got ${v}`);
  return t;
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
      places: { type: 'string' },
      kinds: { type: 'string' },
      units: { type: 'string' },
      'max-window-ms': { type: 'string', default: String(86_400_000) },
      days: { type: 'string', default: '365' },
      depth: { type: 'string', default: '0' },
      level: { type: 'string', default: 'gateway' },
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
  if (!values.dir) throw new CodedError('USAGE', '--dir DIR (the authority directory) is required');
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  if (sub === 'init') {
    const a = await initAuthority(values.dir, values.name!, nowSec, { places: list(values.places, ['urn:place:*']), kinds: ['*'], units: ['*'], maxWindowMs: 30 * 86_400_000 });
    process.stdout.write(`authority ${a.name} in ${values.dir}: trust anchor ${values.dir}/anchor.cose, root credential ${values.dir}/root.cred\n`);
    return 0;
  }
  const a = loadAuthority(values.dir);
  if (sub === 'issue') {
    if (!values.subject || (!values.key && !values.enrollment) || !values.places) throw new CodedError('USAGE', 'authority issue needs --subject, --places and --key or --enrollment');
    let subjectKey: Uint8Array;
    if (values.enrollment) {
      const e = decodeEnrollment(new Uint8Array(readFileSync(values.enrollment)));
      const v = verifyEnrollment(e);
      if (!v.valid) throw new CodedError('ENROLL_INVALID', `enrolment request rejected: ${v.reason}`);
      subjectKey = e.devicePublicKey;
    } else subjectKey = readSubjectKey(values.key!);
    const cred = await issueCredential(
      {
        issuer: a.name,
        subject: values.subject,
        subjectKey,
        scope: { places: list(values.places, []), kinds: list(values.kinds, ['*']), units: list(values.units, ['*']), maxWindowMs: Number(values['max-window-ms']) },
        notBefore: nowSec - 60,
        notAfter: nowSec + Number(values.days) * 86_400,
        now: nowSec,
        depth: Number(values.depth),
        level: values.level!,
        parentBytes: a.rootCredential,
      },
      a.signer,
    );
    const out = values.out ?? 'device.cred';
    writeFileSync(out, cred);
    process.stdout.write(`issued ${out} for ${values.subject}; parent: ${values.dir}/root.cred\n`);
    return 0;
  }
  if (sub === 'grant') {
    if (!values.place || !values.reservation || !values.unit) throw new CodedError('USAGE', 'authority grant needs --place, --reservation, --unit SCHEME:ID, --start, --end');
    const idx = values.unit.indexOf(':');
    if (idx <= 0) throw new CodedError('USAGE', `--unit must be SCHEME:ID, got ${values.unit}`);
    const bytes = await issueGrant(
      {
        issuer: a.name,
        place: values.place,
        reservation: values.reservation,
        unit: [values.unit.slice(0, idx), values.unit.slice(idx + 1)],
        window: [time(values.start, 'start'), time(values.end, 'end')],
        toleranceM: Number(values.tolerance),
        graceMs: Number(values.grace),
        nowMs,
      },
      a.signer,
      a.rootCredential,
    );
    const out = values.out ?? `${values.reservation}.grant`;
    writeFileSync(out, bytes);
    process.stdout.write(`signed grant ${out}\n`);
    return 0;
  }
  throw new CodedError('USAGE', 'usage: place-agent authority init|issue|grant --dir DIR ...');
}

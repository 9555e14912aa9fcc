/**
 * `place-agent unit accept`: what a reserving unit (vessel, truck, vehicle) sends back for a
 * grant (DESIGN.md, "Acceptance"), signed with its own key under its `unit` credential. The grant
 * and the result are both checked with the verifiers every gateway and settler runs, so a file is
 * only written when it would be accepted.
 */
import { writeFileSync } from 'node:fs';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import { parseCredentialClaims } from '../authority/credential.ts';
import { verifyGrant } from '../authority/grant.ts';
import { signAcceptance, verifyAcceptance } from '../authority/acceptance.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { loadKeyFile } from '../signing/software-signer.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { UNIT_ACCEPT_FLAGS } from './commands.ts';
import { CliCode, CliError, readInput } from './errors.ts';
import { list, required, time } from './validate.ts';

export async function unitAcceptCommand({ values }: Parsed<typeof UNIT_ACCEPT_FLAGS>): Promise<number> {
  const cmd = 'unit accept';
  const keyFile = required(values.key, 'key', cmd);
  const credFile = required(values.credential, 'credential', cmd);
  const grantFile = required(values.grant, 'grant', cmd);
  if (!values.anchor?.length) throw new CliError(CliCode.USAGE, `place-agent ${cmd} needs --anchor FILE (the authority's trust anchor)`, { flag: '--anchor' });
  const tMs = values.at !== undefined ? time('at', values.at) : Date.now();
  const lat = numberFlag(values.lat, 'lat', -90, 90, false);
  const lon = numberFlag(values.lon, 'lon', -180, 180, false);
  const acc = numberFlag(values.accuracy, 'accuracy', 0, 1_000_000, false);
  const given = [lat, lon, acc].filter((x) => x !== undefined).length;
  if (given !== 0 && given !== 3) throw new CliError(CliCode.USAGE, '--lat, --lon and --accuracy go together (the unit position, claim 264)', { flag: '--lat' });
  const anchors = values.anchor.map((a) => (readInput(a, 'trust anchor'), loadTrustAnchor(a)));
  const credential = readInput(credFile, 'unit credential');
  const parents = (list('chain', values.chain, (_f, x) => x) ?? []).map((f) => readInput(f, 'parent credential'));
  readInput(keyFile, 'unit key');
  const signer = loadKeyFile(keyFile);
  let claims;
  try {
    claims = parseCredentialClaims(decodeSign1(credential).payload);
  } catch {
    claims = undefined;
  }
  if (!claims) throw new CliError(CliCode.INPUT_UNREADABLE, `${credFile} is not a readable credential`, { path: credFile });
  if (claims.level !== 'unit') throw new CliError('ACCEPT_REFUSED', `${credFile} is a ${claims.level} credential; only a unit credential signs acceptances`);
  const g = verifyGrant(readInput(grantFile, 'grant'), anchors, tMs);
  if (!g.ok) throw new CliError('ACCEPT_REFUSED', `the grant ${grantFile} does not verify at ${new Date(tMs).toISOString()}: ${g.code}: ${g.reason}`);
  const location = lat !== undefined && lon !== undefined && acc !== undefined ? { lat, lon, accuracyM: acc, t: tMs } : undefined;
  const bytes = await signAcceptance({ iss: claims.sub, grant: g.grant, tMs, ...(location ? { location } : {}) }, signer, credential, parents);
  const check = verifyAcceptance(bytes, anchors, { grant: g.grant });
  if (!check.ok) throw new CliError('ACCEPT_REFUSED', `refusing to sign an acceptance that could not verify: ${check.code}: ${check.reason}`);
  const out = values.out ?? `${g.grant.reservation}.accept`;
  try {
    writeFileSync(out, bytes);
  } catch (e) {
    throw new CliError(CliCode.OUTPUT_UNWRITABLE, `cannot write ${out}: ${(e as Error).message}`, { path: out });
  }
  process.stdout.write(`signed acceptance ${out} of grant ${g.grant.reservation} for ${g.grant.unit.join(':')} by ${claims.sub}\n`);
  return 0;
}

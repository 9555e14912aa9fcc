/**
 * `place-agent authority revoke`: the issuer's next revocation list (DESIGN.md, "Revocation
 * list"). The authority directory keeps each issuer's latest list under
 * revocations/<issuer kid hex>.cose; the next one has seq + 1 and keeps the previous entries
 * unless --replace is given. A list that would not verify (a gateway, unit or settler as issuer,
 * an issuer outside the directory's anchor) is refused before it is written. With --broker it is
 * published retained on pm/v1/authority/<issuer kid hex>/revocations.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { issueRevocationList, verifyKeptRevocationList, verifyRevocationList, type RevocationList } from '../authority/revocation.ts';
import { parseCredentialClaims } from '../authority/credential.ts';
import { levelMaySign } from '../authority/levels.ts';
import { TYP_REVOKE, decodeSign1, objectHash } from '../encoding/cose-sign1.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { coseKeyThumbprint } from '../encoding/cose-key.ts';
import { COSE_CONTENT_TYPE, revocationTopic } from '../transport/topics.ts';
import { loadBrokerCredentials, type BrokerCredentials } from '../transport/broker-credentials.ts';
import { CLAIM } from '../lineage/observation-types.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { AUTHORITY_REVOKE_FLAGS } from './commands.ts';
import { CliCode, CliError, failureText, readInput } from './errors.ts';
import { list, required } from './validate.ts';
import { authorityDir, issuerFrom, write } from './authority.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const refused = (why: string): CliError => new CliError('REVOKE_REFUSED', `refusing to make a revocation list that could not verify: ${why}`);

function hexList(flag: string, value: string | undefined, bytes: number): Uint8Array[] {
  return (
    list(flag, value, (f, x) => {
      if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(x)) throw new CliError(CliCode.USAGE, `--${f} ${JSON.stringify(x)}: expected ${bytes} bytes in hex`, { flag: `--${f}` });
      return x.toLowerCase();
    }) ?? []
  ).map((x) => new Uint8Array(Buffer.from(x, 'hex')));
}

/** h() of each credential file named. */
function credentialHashes(value: string | undefined): Uint8Array[] {
  return (list('credential', value, (_f, x) => x) ?? []).map((f) => {
    const bytes = readInput(f, 'credential');
    try {
      if (!parseCredentialClaims(decodeSign1(bytes).payload)) throw new Error('claims missing or mistyped');
      return objectHash(bytes);
    } catch (e) {
      throw new CliError(CliCode.INPUT_UNREADABLE, `${f} is not a credential: ${(e as Error).message}`, { path: f });
    }
  });
}

/** The cti of each grant file named (read, not verified: an authority may revoke a grant that no longer verifies). */
function grantCtis(value: string | undefined): Uint8Array[] {
  return (list('grant', value, (_f, x) => x) ?? []).map((f) => {
    const bytes = readInput(f, 'grant');
    try {
      const cti = (decodeCbor(decodeSign1(bytes).payload) as Map<number, unknown>).get(CLAIM.cti);
      if (!(cti instanceof Uint8Array) || cti.length !== 16) throw new Error('no 16-byte cti');
      return cti;
    } catch (e) {
      throw new CliError(CliCode.INPUT_UNREADABLE, `${f} is not a grant: ${(e as Error).message}`, { path: f });
    }
  });
}

function union(a: Uint8Array[], b: Uint8Array[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const x of [...a, ...b]) seen.set(hex(x), x);
  return [...seen.values()];
}

export async function authorityRevokeCommand({ values }: Parsed<typeof AUTHORITY_REVOKE_FLAGS>): Promise<number> {
  const cmd = 'authority revoke';
  const dir = required(values.dir, 'dir', cmd);
  const revoke = [...credentialHashes(values.credential), ...hexList('hash', values.hash, 32)];
  const grants = [...grantCtis(values.grant), ...hexList('grant-cti', values['grant-cti'], 16)];
  const nextHours = numberFlag(values['next-hours'], 'next-hours', 1, 24 * 366)!;
  const seqFlag = numberFlag(values.seq, 'seq', 1, Number.MAX_SAFE_INTEGER);
  if (values.broker !== undefined && !/^(mqtts?|tcp|tls|wss?):\/\/./.test(values.broker)) {
    throw new CliError(CliCode.USAGE, `--broker must be a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(values.broker)}`, { flag: '--broker' });
  }
  for (const f of ['username', 'password-file', 'ca'] as const) if (values[f] !== undefined && !values.broker) throw new CliError(CliCode.USAGE, `--${f} applies to --broker only`, { flag: `--${f}` });
  // Read before anything is signed: a password file open to others is refused (MQTT_SECRET_FILE_MODE).
  const login = values.broker ? loadBrokerCredentials({ url: values.broker, username: values.username, passwordFile: values['password-file'], caFile: values.ca }) : {};
  const a = authorityDir(dir);
  const issuer = issuerFrom(a, values, false);
  const claims = parseCredentialClaims(decodeSign1(issuer.credential).payload);
  if (!claims) throw refused(`${values.parent ?? 'root.cred'} is not a readable credential`);
  const notAllowed = levelMaySign(claims.level, TYP_REVOKE);
  if (notAllowed) throw refused(notAllowed);
  const kid = hex(coseKeyThumbprint(claims.subjectKey));
  const keptDir = join(dir, 'revocations');
  const kept = join(keptDir, `${kid}.cose`);
  const nowMs = Date.now();
  let previous: RevocationList | undefined;
  if (existsSync(kept)) {
    const bytes = readInput(kept, 'previous revocation list');
    // Checked at its own iat: it was this issuer's list when it was made.
    const r = verifyKeptRevocationList(bytes, [a.anchor]);
    if (!r.ok) throw new CliError(CliCode.INPUT_UNREADABLE, `${kept} is not this issuer's revocation list (${r.code}: ${r.reason}); move it aside to start again`, { path: kept });
    previous = r.list;
  }
  const seq = seqFlag ?? (previous ? previous.seq + 1 : 1);
  if (previous && seq <= previous.seq) throw new CliError(CliCode.USAGE, `--seq ${seq} must be above the issuer's last list, seq ${previous.seq} (${kept}); a lower one is ignored by every receiver`, { flag: '--seq' });
  const keep = previous && !values.replace ? previous : undefined;
  const req = {
    issuer: claims.sub,
    seq,
    revoked: union(keep?.revoked ?? [], revoke),
    grants: union(keep?.grants ?? [], grants),
    nextMs: nowMs + nextHours * 3_600_000,
    nowMs,
  };
  const bytes = await issueRevocationList(req, issuer.signer, issuer.credential, issuer.parents);
  // The same check every gateway makes: a list that would be refused is not written.
  const check = verifyRevocationList(bytes, [a.anchor], nowMs);
  if (!check.ok) throw refused(`${check.code}: ${check.reason}`);
  mkdirSync(keptDir, { recursive: true, mode: 0o700 });
  write(kept, bytes);
  if (values.out) write(values.out, bytes);
  const topic = revocationTopic(kid);
  process.stdout.write(
    `revocation list seq ${seq} by ${claims.sub} (${claims.level}): ${req.revoked.length} credential(s), ${req.grants.length} grant(s); next by ${new Date(req.nextMs).toISOString()}\n` +
      `wrote ${kept}${values.out ? ` and ${values.out}` : ''}; topic ${topic}\n`,
  );
  if (values.broker) {
    await publishRetained(values.broker, topic, bytes, login);
    process.stdout.write(`published retained on ${values.broker}\n`);
  }
  return 0;
}

async function publishRetained(url: string, topic: string, bytes: Uint8Array, login: BrokerCredentials): Promise<void> {
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync(url, { clientId: `place-agent-revoke-${process.pid}`, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5_000, ...login });
  } catch (e) {
    throw new CliError(CliCode.BROKER_UNREACHABLE, `cannot connect to ${url}: ${failureText(e, 'connection failed')}; the list is written, publish it again later`, { url });
  }
  try {
    await client.publishAsync(topic, Buffer.from(bytes), { qos: 1, retain: true, properties: { contentType: COSE_CONTENT_TYPE } });
  } finally {
    await client.endAsync();
  }
}

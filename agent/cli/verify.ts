import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { decodeCborSequence } from '../encoding/cbor-decode.ts';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import { ObservationVerifier, type ObservationClaims } from '../verify/observation-verifier.ts';
import { HDR_TYP, TYP_GRANT, TYP_OBS, decodeSign1 } from '../encoding/cose-sign1.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { verifyGrant } from '../authority/grant.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import { LineageVerifier } from '../verify/lineage-verifier.ts';
import { CliError } from './errors.ts';

export interface VerifyReport {
  checked: number;
  /** One line per object that is not an observation (grants, ...), with its stable code. */
  objects: string[];
  failures: string[];
  duplicates: number;
  heads: { iss: string; seq: number; epoch: bigint }[];
  startsAt: number;
}

/** Verifies observations in the order given; `fromBroker` tolerates a chain that starts after seq 1. */
export function verifyAll(items: Uint8Array[], anchorFiles: string[], fromBroker = false, opts: { requireGenesis?: boolean } = {}): VerifyReport {
  const anchors = anchorFiles.map(loadTrustAnchor);
  const verifier = new ObservationVerifier(anchors);
  const lineage = new LineageVerifier();
  const failures: string[] = [];
  const objects: string[] = [];
  const ok: { c: ObservationClaims; hash: Uint8Array }[] = [];
  items.forEach((bytes, i) => {
    const typ = typOf(bytes);
    if (typ === TYP_GRANT) {
      const line = grantLine(bytes, anchors, i);
      objects.push(line.text);
      if (!line.ok) failures.push(line.text);
      return;
    }
    if (typ !== undefined && typ !== TYP_OBS) {
      const text = `item ${i}: VERIFY_UNSUPPORTED_TYP: ${typ} is not verified by this version`;
      objects.push(text);
      failures.push(text);
      return;
    }
    const r = verifier.check(bytes);
    if (!r.ok) failures.push(`${r.seq !== undefined ? `seq ${r.seq}` : `item ${i}`}: ${r.code}: ${r.reason}`);
    else ok.push({ c: r.claims, hash: r.hash });
  });
  // From a broker, messages of different topics interleave; order by seq before the lineage checks.
  if (fromBroker) ok.sort((a, b) => a.c.seq - b.c.seq);
  // Signed gap observations declare seqs that were deliberately not published (storage pressure).
  for (const { c } of ok) {
    if (c.kind !== 'gap') continue;
    const ranges = c.body.get('seqs');
    if (!Array.isArray(ranges)) continue;
    for (const r of ranges) {
      if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' && r[1] >= r[0] && r[1] - r[0] < 10_000_000) {
        const seqs: number[] = [];
        for (let s = r[0]; s <= r[1]; s++) seqs.push(s);
        lineage.declareGap(c.iss, seqs);
      }
    }
  }
  // An export made after retention pruned starts past seq 1 (the earlier part is in audit files):
  // accepted unless the caller requires the genesis, and said in the summary.
  const startsAt = ok.length ? ok[0]!.c.seq : 1;
  const partial = fromBroker || (!opts.requireGenesis && startsAt > 1);
  for (const { c, hash } of ok) for (const f of lineage.add(c, hash, { allowStartAfterGenesis: partial })) failures.push(`seq ${f.seq}: ${f.code}: ${f.reason}`);
  return { checked: items.length, objects, failures, duplicates: lineage.duplicates, heads: lineage.heads(), startsAt };
}

/** The typ of a tagged COSE_Sign1, or undefined when the bytes are not one (left to the observation verifier's reasons). */
function typOf(bytes: Uint8Array): string | undefined {
  try {
    const t = decodeSign1(bytes).protectedHeader.get(HDR_TYP);
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/** A grant in an audit file is judged as at its own iat (it has long expired since). */
function grantLine(bytes: Uint8Array, anchors: TrustAnchor[], i: number): { ok: boolean; text: string } {
  let atMs = 0;
  try {
    const claims = decodeCbor(decodeSign1(bytes).payload);
    const iat = claims instanceof Map ? claims.get(6) : undefined;
    if (typeof iat === 'number') atMs = iat * 1000;
  } catch {
    // verifyGrant gives the reason
  }
  const r = verifyGrant(bytes, anchors, atMs);
  if (!r.ok) return { ok: false, text: `item ${i}: grant: ${r.code}: ${r.reason}` };
  const h = Buffer.from(r.grant.hash).toString('hex');
  return { ok: true, text: `item ${i}: grant ${r.grant.reservation} h=${h.slice(0, 16)} by ${r.grant.iss}: GRANT_OK` };
}

async function collectFromBroker(url: string, place: string, count: number, timeoutS: number): Promise<Uint8Array[]> {
  const client = await mqtt.connectAsync(url, { clientId: `place-agent-verify-${process.pid}`, reconnectPeriod: 0, connectTimeout: 10_000 });
  const items: Uint8Array[] = [];
  try {
    await client.subscribeAsync(`pm/v1/${place}/#`, { qos: 1 });
    await new Promise<void>((resolve) => {
      let idle = setTimeout(resolve, timeoutS * 1000);
      client.on('message', (topic, payload, packet) => {
        // The status topic also carries the JSON birth and will; observations are tagged COSE_Sign1 (0xd2).
        // A retained envelope is older than the live stream: verified on its own, it is left out of the lineage window.
        if (topic.includes('/grants/') || payload[0] !== 0xd2 || packet.retain) return;
        items.push(new Uint8Array(payload));
        clearTimeout(idle);
        if (items.length >= count) return resolve();
        idle = setTimeout(resolve, timeoutS * 1000);
      });
    });
  } finally {
    await client.endAsync();
  }
  return items;
}

export async function verifyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      anchor: { type: 'string', multiple: true },
      file: { type: 'string' },
      broker: { type: 'string' },
      place: { type: 'string' },
      count: { type: 'string', default: '1000000' },
      timeout: { type: 'string', default: '5' },
      quiet: { type: 'boolean', default: false },
      'require-genesis': { type: 'boolean', default: false },
    },
  });
  if (!values.anchor?.length || (!values.file && !values.broker)) throw new CliError('USAGE', 'usage: place-agent verify --anchor FILE (--file FILE | --broker URL --place URN)');
  let items: Uint8Array[];
  if (values.file) {
    const bytes = new Uint8Array(readFileSync(values.file));
    items = [];
    let cut = false;
    try {
      for (const it of decodeCborSequence(bytes, { requireDeterministic: false })) items.push(it.bytes);
    } catch (e) {
      // A truncated or damaged file is a failure whatever verifies before the damage.
      process.stdout.write(`item ${items.length}: SEQUENCE_MALFORMED: ${(e as Error).message}\n`);
      cut = true;
    }
    if (cut) {
      const r = verifyAll(items, values.anchor, false, { requireGenesis: values['require-genesis']! });
      for (const f of r.failures) process.stdout.write(f + '\n');
      process.stderr.write(`${r.checked} object(s) before the damage, ${r.failures.length + 1} failure(s) (the file is cut or damaged after item ${items.length - 1})\n`);
      return 1;
    }
  } else {
    if (!values.place) throw new CliError('USAGE', '--broker needs --place URN');
    items = await collectFromBroker(values.broker!, values.place, Number(values.count), Number(values.timeout));
  }
  const r = verifyAll(items, values.anchor, Boolean(values.broker), { requireGenesis: values['require-genesis']! });
  for (const o of r.objects) if (!r.failures.includes(o)) process.stdout.write(o + '\n');
  for (const f of r.failures) process.stdout.write(f + '\n');
  const heads = r.heads.map((h) => `${h.iss} head ${h.seq} epoch ${h.epoch}`).join('; ');
  process.stderr.write(`${r.checked - r.objects.length} observation(s), ${r.duplicates} duplicate(s), ${r.failures.length} failure(s)${r.objects.length ? `, ${r.objects.length} other object(s)` : ''}${heads ? `; ${heads}` : ''}\n`);
  if (r.startsAt > 1 && !values.broker) process.stderr.write(`note: the chain here starts at seq ${r.startsAt}; earlier observations are in the audit archive (--require-genesis to insist on seq 1)\n`);
  return r.failures.length || r.checked === 0 ? 1 : 0;
}

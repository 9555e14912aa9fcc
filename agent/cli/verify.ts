import mqtt from 'mqtt';
import { decodeCborSequence } from '../encoding/cbor-decode.ts';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import { ObservationVerifier, type ObservationClaims } from '../verify/observation-verifier.ts';
import { HDR_TYP, TYP_GRANT, TYP_OBS, decodeSign1 } from '../encoding/cose-sign1.ts';
import { decodeCbor } from '../encoding/cbor-decode.ts';
import { verifyGrant } from '../authority/grant.ts';
import type { TrustAnchor } from '../authority/chain.ts';
import { LineageVerifier } from '../verify/lineage-verifier.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { VERIFY_FLAGS } from './commands.ts';
import { CliCode, CliError, readInput } from './errors.ts';
import { placeUrn } from './validate.ts';

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

export interface CollectOptions {
  url: string;
  place: string;
  /** Stop after this many observations. */
  count?: number;
  /** Stop this many ms after subscribing, whatever arrives. */
  durationMs?: number;
  /** Stop after this many ms without a new observation. */
  idleMs?: number;
  /** Stops collection early (Ctrl-C); what arrived is still returned. */
  signal?: AbortSignal;
}

export interface Collected {
  items: Uint8Array[];
  stoppedBy: 'count' | 'duration' | 'idle' | 'interrupt';
  elapsedMs: number;
}

/** Subscribes to the place's topics and collects observations until the first stop condition. */
export async function collectFromBroker(o: CollectOptions): Promise<Collected> {
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync(o.url, { clientId: `place-agent-verify-${process.pid}`, reconnectPeriod: 0, connectTimeout: 5_000 });
  } catch (e) {
    throw new CliError(CliCode.BROKER_UNREACHABLE, `cannot connect to ${o.url}: ${(e as Error).message || (e as { code?: string }).code || 'connection failed'}`, { url: o.url });
  }
  const items: Uint8Array[] = [];
  const t0 = Date.now();
  try {
    await client.subscribeAsync(`pm/v1/${o.place}/#`, { qos: 1 });
    const stoppedBy = await new Promise<Collected['stoppedBy']>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      let idle: NodeJS.Timeout | undefined;
      const done = (why: Collected['stoppedBy']): void => {
        for (const t of timers) clearTimeout(t);
        clearTimeout(idle);
        o.signal?.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onAbort = (): void => done('interrupt');
      if (o.signal?.aborted) return done('interrupt');
      o.signal?.addEventListener('abort', onAbort);
      if (o.durationMs) timers.push(setTimeout(() => done('duration'), o.durationMs));
      const armIdle = (): void => {
        clearTimeout(idle);
        if (o.idleMs) idle = setTimeout(() => done('idle'), o.idleMs);
      };
      armIdle();
      client.on('message', (topic, payload, packet) => {
        // The status topic also carries the JSON birth and will; observations are tagged COSE_Sign1 (0xd2).
        // A retained envelope is older than the live stream: verified on its own, it is left out of the lineage window.
        if (topic.includes('/grants/') || payload[0] !== 0xd2 || packet.retain) return;
        items.push(new Uint8Array(payload));
        armIdle();
        if (o.count !== undefined && items.length >= o.count) done('count');
      });
      client.on('close', () => done('interrupt'));
    });
    return { items, stoppedBy, elapsedMs: Date.now() - t0 };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

const STOPPED: Record<Collected['stoppedBy'], string> = { count: 'count reached', duration: 'duration over', idle: 'no new observation within --timeout', interrupt: 'interrupted' };

export async function verifyCommand({ values }: Parsed<typeof VERIFY_FLAGS>): Promise<number> {
  if (!values.anchor?.length) throw new CliError(CliCode.USAGE, 'place-agent verify needs --anchor FILE (the authority\'s trust anchor); place-agent verify --help');
  if (!values.file === !values.broker) throw new CliError(CliCode.USAGE, 'place-agent verify needs one of --file FILE or --broker URL');
  for (const a of values.anchor) readInput(a, 'trust anchor');
  let items: Uint8Array[];
  let from: string;
  if (values.file) {
    for (const f of ['place', 'count', 'duration', 'timeout'] as const) if (values[f] !== undefined) throw new CliError(CliCode.USAGE, `--${f} applies to --broker only`, { flag: `--${f}` });
    const bytes = readInput(values.file, 'observation file');
    from = values.file;
    if (bytes.length === 0) {
      process.stderr.write(`place-agent: ${CliCode.VERIFY_EMPTY}: ${values.file} is empty: no observations to verify\n`);
      return 1;
    }
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
      const r = verifyAll(items, values.anchor, false, { requireGenesis: values['require-genesis'] ?? false });
      for (const f of r.failures) process.stdout.write(f + '\n');
      process.stderr.write(`${r.checked} object(s) before the damage, ${r.failures.length + 1} failure(s) (the file is cut or damaged ${items.length ? `after item ${items.length - 1}` : 'at its start'})\n`);
      return 1;
    }
  } else {
    if (!/^(mqtts?|tcp|tls|wss?):\/\/./.test(values.broker!)) throw new CliError(CliCode.USAGE, `--broker must be a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(values.broker)}`, { flag: '--broker' });
    const place = placeUrn('place', values.place ?? '');
    const count = numberFlag(values.count, 'count', 1, 1e9);
    const duration = numberFlag(values.duration, 'duration', 0, 7 * 86_400, false) ?? (count === undefined ? 10 : 0);
    const idle = numberFlag(values.timeout, 'timeout', 0.1, 86_400, false);
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    const limits = [count !== undefined ? `${count} observation(s)` : '', duration ? `${duration} s` : '', idle ? `${idle} s without a new one` : ''].filter(Boolean).join(' or ');
    process.stderr.write(`collecting pm/v1/${place}/# from ${values.broker} until ${limits || 'Ctrl-C'}; Ctrl-C stops and verifies what arrived\n`);
    try {
      const c = await collectFromBroker({ url: values.broker!, place, ...(count !== undefined ? { count } : {}), ...(duration ? { durationMs: duration * 1000 } : {}), ...(idle ? { idleMs: idle * 1000 } : {}), signal: ac.signal });
      items = c.items;
      from = `${values.broker} (${STOPPED[c.stoppedBy]} after ${(c.elapsedMs / 1000).toFixed(1)} s)`;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
  const r = verifyAll(items, values.anchor, Boolean(values.broker), { requireGenesis: values['require-genesis'] ?? false });
  if (!values.quiet) {
    for (const o of r.objects) if (!r.failures.includes(o)) process.stdout.write(o + '\n');
    for (const f of r.failures) process.stdout.write(f + '\n');
  }
  const heads = r.heads.map((h) => `${h.iss} head ${h.seq} epoch ${h.epoch}`).join('; ');
  process.stderr.write(
    `${r.checked - r.objects.length} observation(s), ${r.duplicates} duplicate(s), ${r.failures.length} failure(s)${r.objects.length ? `, ${r.objects.length} other object(s)` : ''}${heads ? `; ${heads}` : ''}; from ${from}\n`,
  );
  if (r.startsAt > 1 && !values.broker) process.stderr.write(`note: the chain here starts at seq ${r.startsAt}; earlier observations are in the audit archive (--require-genesis to insist on seq 1)\n`);
  if (r.checked === 0) process.stderr.write(`place-agent: ${CliCode.VERIFY_EMPTY}: no observations arrived\n`);
  return r.failures.length || r.checked === 0 ? 1 : 0;
}

import mqtt from 'mqtt';
import { decodeCborSequence } from '../encoding/cbor-decode.ts';
import { loadTrustAnchor } from '../authority/authority-dir.ts';
import { verifyInput } from '../verify/input-verifier.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { VERIFY_FLAGS } from './commands.ts';
import { CliCode, CliError, failureText, readInput } from './errors.ts';
import { placeUrn } from './validate.ts';

export interface VerifyReport {
  checked: number;
  observations: number;
  /** One line per object that is not an observation (grants, acceptances, ...), with its stable code. */
  objects: string[];
  failures: string[];
  duplicates: number;
  heads: { iss: string; seq: number; epoch: bigint }[];
  startsAt: number;
}

/** Every object of the input (agent/verify/input-verifier.ts); `fromBroker` tolerates a chain that starts after seq 1. */
export function verifyAll(
  items: Uint8Array[],
  anchorFiles: string[],
  fromBroker = false,
  opts: { requireGenesis?: boolean; revocations?: { name: string; bytes: Uint8Array }[] } = {},
): VerifyReport {
  const r = verifyInput(items, anchorFiles.map(loadTrustAnchor), { fromBroker, requireGenesis: opts.requireGenesis ?? false, ...(opts.revocations ? { revocations: opts.revocations } : {}) });
  return { checked: r.checked, observations: r.observations, objects: r.verdicts.map((v) => v.text), failures: r.failures, duplicates: r.duplicates, heads: r.heads, startsAt: r.startsAt };
}

/** `--revocations FILE...`: each file one list or a CBOR sequence of them; a cut file is a usage failure of its own. */
function readRevocations(files: string[]): { lists: { name: string; bytes: Uint8Array }[]; damaged: string[] } {
  const lists: { name: string; bytes: Uint8Array }[] = [];
  const damaged: string[] = [];
  for (const f of files) {
    const bytes = readInput(f, 'revocation list file');
    const here: Uint8Array[] = [];
    try {
      for (const it of decodeCborSequence(bytes, { requireDeterministic: false })) here.push(it.bytes);
    } catch (e) {
      damaged.push(`${f} item ${here.length}: SEQUENCE_MALFORMED: ${(e as Error).message}`);
    }
    if (!here.length && !damaged.length) damaged.push(`${f}: VERIFY_EMPTY: no revocation list in it`);
    here.forEach((b, i) => lists.push({ name: here.length > 1 ? `${f} item ${i}` : f, bytes: b }));
  }
  return { lists, damaged };
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
    throw new CliError(CliCode.BROKER_UNREACHABLE, `cannot connect to ${o.url}: ${failureText(e, 'connection failed')}`, { url: o.url });
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
  const revs = readRevocations(values.revocations ?? []);
  for (const d of revs.damaged) process.stdout.write(d + '\n');
  const vopts = { requireGenesis: values['require-genesis'] ?? false, revocations: revs.lists };
  let items: Uint8Array[];
  let from: string;
  if (values.file) {
    for (const f of ['place', 'count', 'duration', 'timeout'] as const) if (values[f] !== undefined) throw new CliError(CliCode.USAGE, `--${f} applies to --broker only`, { flag: `--${f}` });
    const bytes = readInput(values.file, 'input file');
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
      const r = verifyAll(items, values.anchor, false, vopts);
      for (const f of r.failures) process.stdout.write(f + '\n');
      process.stderr.write(`${r.checked} object(s) before the damage, ${r.failures.length + revs.damaged.length + 1} failure(s) (the file is cut or damaged ${items.length ? `after item ${items.length - 1}` : 'at its start'})\n`);
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
  const r = verifyAll(items, values.anchor, Boolean(values.broker), vopts);
  r.failures.push(...revs.damaged);
  if (!values.quiet) {
    for (const o of r.objects) if (!r.failures.includes(o)) process.stdout.write(o + '\n');
    for (const f of r.failures) if (!revs.damaged.includes(f)) process.stdout.write(f + '\n');
  }
  const heads = r.heads.map((h) => `${h.iss} head ${h.seq} epoch ${h.epoch}`).join('; ');
  process.stderr.write(
    `${r.observations} observation(s), ${r.duplicates} duplicate(s), ${r.failures.length} failure(s)${r.checked - r.observations ? `, ${r.checked - r.observations} other object(s)` : ''}${revs.lists.length ? `, ${revs.lists.length} revocation list(s) given` : ''}${heads ? `; ${heads}` : ''}; from ${from}\n`,
  );
  if (r.startsAt > 1 && !values.broker) process.stderr.write(`note: the chain here starts at seq ${r.startsAt}; earlier observations are in the audit archive (--require-genesis to insist on seq 1)\n`);
  if (r.checked === 0) process.stderr.write(`place-agent: ${CliCode.VERIFY_EMPTY}: no observations arrived\n`);
  return r.failures.length || r.checked === 0 ? 1 : 0;
}

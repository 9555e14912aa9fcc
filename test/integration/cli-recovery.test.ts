/**
 * Export and recovery as an operator meets them: export and audit export never create a
 * store; audit export joins the audit files retention wrote with the store into one chain
 * that verifies from seq 1; a database with a damaged page is refused by export but
 * salvaged with --salvage (every readable row, the damaged seqs named, the rest verifies);
 * a store moved aside or replaced by an older copy is refused at start, and --new-chain
 * starts a declared new chain whose first observation names the lost head and epoch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from './agent-process.ts';
import { demo } from '../support/demo-run.ts';
import { keptDatabase } from '../support/kept-database.ts';
import { decodeCborSequence, decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

type Claims = Map<number, unknown>;
const claimsOf = (bytes: Uint8Array): Claims => decodeCbor(decodeSign1(bytes).payload) as Claims;
const all = (file: string): Uint8Array[] => [...decodeCborSequence(new Uint8Array(readFileSync(file)), { requireDeterministic: false })].map((i) => i.bytes);
/** The observations of an export (which also carries the grants the store keeps, first). */
const items = (file: string): Uint8Array[] => all(file).filter((b) => typeof claimsOf(b).get(CLAIM.seq) === 'number');

describe('export, audit export and recovery', () => {
  let dir: string;
  let state: string;
  let anchor: string;
  const f = (n: string): string => join(dir, n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-recovery-'));
    state = f('state');
    const r = await demo(state, 400);
    expect(r.code, r.stderr).toBe(0);
    anchor = join(state, 'authority', 'anchor.cose');
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('audit export joins the audit files and the store into one chain that verifies from seq 1', async () => {
    const full = f('full.cbor');
    expect((await runAgent(['export', '--state', state, '--out', full])).code).toBe(0);
    const obs = items(full);
    // What retention does: the oldest rows appended to an audit file, then deleted from the store.
    const copy = f('retained');
    mkdirSync(join(copy, 'audit'), { recursive: true });
    copyFileSync(join(state, 'agent.db'), join(copy, 'agent.db'));
    writeFileSync(join(copy, 'audit', 'chain-000000000001-000000000050.cbor'), Buffer.concat(obs.slice(0, 50)));
    const db = keptDatabase(join(copy, 'agent.db'));
    db.prepare('DELETE FROM outbox WHERE seq <= 50').run();
    db.prepare('DELETE FROM observations WHERE seq <= 50').run();
    db.close();
    const partial = await runAgent(['export', '--state', copy, '--out', f('partial.cbor')]);
    expect(items(f('partial.cbor')).length).toBe(obs.length - 50);
    expect(partial.stderr).toContain(`seq 51-${obs.length}`);
    const audit = await runAgent(['audit', 'export', '--state', copy, '--out', f('audit.cbor')]);
    expect(audit.code, audit.stderr).toBe(0);
    // The same grants, then the same chain, byte for byte (the audit file standing in for seqs 1-50).
    expect(readFileSync(f('audit.cbor')).equals(readFileSync(full))).toBe(true);
    const v = await runAgent(['verify', '--anchor', anchor, '--file', f('audit.cbor'), '--require-genesis']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 240_000);

  it('refuses a damaged database, and --salvage exports every readable row, names the damaged seqs, and the rest verifies', async () => {
    const full = items(f('full.cbor'));
    const sd = f('damaged');
    mkdirSync(sd);
    copyFileSync(join(state, 'agent.db'), join(sd, 'agent.db'));
    // Damage the page holding seq 200's signature: a leaf of the observations table.
    const bytes = readFileSync(join(sd, 'agent.db'));
    const signature = Buffer.from(full[199]!.subarray(full[199]!.length - 64));
    const at = bytes.indexOf(signature);
    expect(at).toBeGreaterThan(0);
    const page = (bytes.readUInt16BE(16) || 65536);
    const start = Math.floor(at / page) * page;
    bytes.fill(0xa5, start, start + page);
    writeFileSync(join(sd, 'agent.db'), bytes);

    const refused = await runAgent(['export', '--state', sd, '--out', f('salvaged.cbor')]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^place-agent: STORE_CORRUPT: .*--salvage/m);
    expect(existsSync(f('salvaged.cbor'))).toBe(false);

    const s = await runAgent(['export', '--state', sd, '--out', f('salvaged.cbor'), '--salvage']);
    expect(s.code).toBe(1);
    const m = /STORE_DAMAGED: (\d+) observation\(s\) could not be read: seq ([\d, -]+)/.exec(s.stderr);
    expect(m, s.stderr).not.toBeNull();
    const lost = Number(m![1]);
    const ranges = m![2]!.split(', ').map((r) => r.split('-').map(Number));
    expect(ranges.some(([a, b]) => a! <= 200 && 200 <= (b ?? a!)), m![2]).toBe(true);
    const got = items(f('salvaged.cbor'));
    expect(got.length).toBe(full.length - lost);
    // Every salvaged row is byte for byte the one exported before the damage.
    const before = new Map(full.map((b) => [claimsOf(b).get(CLAIM.seq) as number, Buffer.from(b)]));
    for (const b of got) expect(before.get(claimsOf(b).get(CLAIM.seq) as number)!.equals(Buffer.from(b))).toBe(true);
    const v = await runAgent(['verify', '--anchor', anchor, '--file', f('salvaged.cbor')]);
    // The grants the export carries are reported one line each (GRANT_OK); the failures are the rest.
    const failures = v.stdout.trim().split('\n').filter((l) => l && !l.endsWith('GRANT_OK'));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((l) => /LINEAGE_GAP/.test(l)), v.stdout).toBe(true);
  }, 240_000);

  it('refuses a moved-aside or an older store at start, and --new-chain declares the lost head', async () => {
    const before = items(f('full.cbor'));
    const old = f('old.db');
    copyFileSync(join(state, 'agent.db'), old);
    // Run once more, so the copy is behind the chain.
    expect((await demo(state, before.length + 20)).code).toBe(0);
    const head = JSON.parse(readFileSync(join(state, 'chain-head.json'), 'utf8')) as { seq: number; hash: string; epoch: string };
    expect(head.seq).toBeGreaterThan(before.length);

    // An older copy put back: refused, nothing signed.
    const aside = f('aside');
    mkdirSync(aside);
    for (const x of ['agent.db', 'agent.db-wal', 'agent.db-shm']) if (existsSync(join(state, x))) renameSync(join(state, x), join(aside, x));
    copyFileSync(old, join(state, 'agent.db'));
    const replaced = await demo(state, 1_000_000);
    expect(replaced.code).toBe(3);
    expect(replaced.stderr).toMatch(/^place-agent: STORE_REPLACED: /m);
    expect(replaced.stderr).toContain(`seq ${head.seq}`);

    // No store at all: refused too, unless a new chain is declared.
    rmSync(join(state, 'agent.db'));
    for (const x of ['agent.db-wal', 'agent.db-shm']) rmSync(join(state, x), { force: true });
    const missing = await demo(state, 1_000_000);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^place-agent: STORE_CHAIN_MISSING: .*--new-chain/m);
    const fresh = await demo(state, 10, ['--new-chain']);
    expect(fresh.code, fresh.stderr).toBe(0);
    const out = f('new-chain.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out])).code).toBe(0);
    const first = claimsOf(items(out)[0]!);
    expect(first.get(CLAIM.seq)).toBe(1);
    const body = first.get(CLAIM.body) as Map<string, unknown>;
    const declared = body.get('new_chain') as Map<string, unknown>;
    expect(declared.get('lost_head_seq')).toBe(head.seq);
    expect(Buffer.from(declared.get('lost_head_hash') as Uint8Array).toString('hex')).toBe(head.hash);
    expect(String(declared.get('lost_epoch'))).toBe(head.epoch);
    const v = await runAgent(['verify', '--anchor', anchor, '--file', out, '--require-genesis']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 600_000);
});

/**
 * The chain head record (chain-head.json) lost while the store stays, as an operator meets it:
 * a store at the epoch counter's value is the chain, so the agent continues it and writes the
 * record again; an older store put back with the record gone is refused (CHAIN_MARKER_MISSING),
 * since the counter has risen past it; with the store and the record both gone the counter
 * alone still refuses a second chain at seq 1 (STORE_CHAIN_MISSING) unless --new-chain declares
 * one naming the lost epoch. Every refused start leaves the state directory as it was, every
 * file byte for byte (SQLite's transient files aside, see snapshot): no empty agent.db beside
 * the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent } from './agent-process.ts';
import { committedCount, demo } from '../support/demo-run.ts';
import { decodeCborSequence, decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

type Claims = Map<number, unknown>;
const claimsOf = (bytes: Uint8Array): Claims => decodeCbor(decodeSign1(bytes).payload) as Claims;
/** The observations of an export (it carries the kept grants first). */
const observations = (file: string): Claims[] =>
  [...decodeCborSequence(new Uint8Array(readFileSync(file)), { requireDeterministic: false })].map((i) => claimsOf(i.bytes)).filter((c) => typeof c.get(CLAIM.seq) === 'number');

/**
 * Every file under `dir` with its SHA-256: what an operator would find there. SQLite's own
 * transient files are not state: the shared-memory index (-shm) is rebuilt by every opener, and
 * an empty write-ahead log is the same as none. Whether they are left behind depends on which
 * connection closes last (this test's own polling reads the store while the agent runs), so they
 * are left out; a WAL holding frames is compared like any file.
 */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (!statSync(p).isFile() || name.endsWith('-shm')) continue;
    const bytes = readFileSync(p);
    if (name.endsWith('-wal') && bytes.length === 0) continue;
    out[name] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

const STORE_FILES = ['agent.db', 'agent.db-wal', 'agent.db-shm'];

describe('a lost chain head record', () => {
  let dir: string;
  let state: string;
  let anchor: string;
  const f = (n: string): string => join(dir, n);
  const marker = (): string => join(state, 'chain-head.json');
  const epochFile = (): bigint => BigInt(readFileSync(join(state, 'epoch'), 'utf8').trim());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-chain-head-'));
    state = f('state');
    const r = await demo(state, 10);
    expect(r.code, r.stderr).toBe(0);
    anchor = join(state, 'authority', 'anchor.cose');
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('continues a store that is at the epoch counter and writes the record again; the export is one chain', async () => {
    const before = committedCount(join(state, 'agent.db'));
    rmSync(marker());
    const r = await demo(state, before + 5);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('CHAIN_MARKER_RECREATED');
    const head = JSON.parse(readFileSync(marker(), 'utf8')) as { seq: number; epoch: string };
    expect(head.seq).toBeGreaterThanOrEqual(before + 5);
    const out = f('continued.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out])).code).toBe(0);
    expect(observations(out).map((c) => c.get(CLAIM.seq))).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    const v = await runAgent(['verify', '--anchor', anchor, '--file', out, '--require-genesis']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 300_000);

  it('refuses an older store put back with the record gone, and the refusal changes nothing', async () => {
    const old = f('old');
    const saved: string[] = [];
    for (const x of STORE_FILES) if (existsSync(join(state, x))) {
      copyFileSync(join(state, x), `${old}-${x}`);
      saved.push(x);
    }
    const before = committedCount(join(state, 'agent.db'));
    expect((await demo(state, before + 5)).code).toBe(0);
    const current = f('current');
    for (const x of STORE_FILES) if (existsSync(join(state, x))) copyFileSync(join(state, x), `${current}-${x}`);
    const markerNow = readFileSync(marker());

    for (const x of STORE_FILES) rmSync(join(state, x), { force: true });
    for (const x of saved) copyFileSync(`${old}-${x}`, join(state, x));
    rmSync(marker());
    const untouched = snapshot(state);
    const r = await demo(state, 1_000_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^place-agent: CHAIN_MARKER_MISSING: .*--new-chain/m);
    expect(r.stderr).toContain(`epoch counter stands at ${epochFile()}`);
    expect(snapshot(state)).toEqual(untouched);

    // Put the current store and its record back for the next test.
    for (const x of STORE_FILES) rmSync(join(state, x), { force: true });
    for (const x of STORE_FILES) if (existsSync(`${current}-${x}`)) copyFileSync(`${current}-${x}`, join(state, x));
    writeFileSync(marker(), markerNow);
  }, 480_000);

  it('refuses a missing store with or without the record, creating no database, and --new-chain names the lost epoch', async () => {
    const lastEpoch = epochFile();
    for (const x of STORE_FILES) rmSync(join(state, x), { force: true });

    // The record still says where the chain stood.
    let untouched = snapshot(state);
    const withRecord = await demo(state, 1_000_000);
    expect(withRecord.code).toBe(3);
    expect(withRecord.stderr).toMatch(/^place-agent: STORE_CHAIN_MISSING: /m);
    expect(existsSync(join(state, 'agent.db'))).toBe(false);
    expect(snapshot(state)).toEqual(untouched);

    // The record gone too: the epoch counter is the witness.
    rmSync(marker());
    untouched = snapshot(state);
    const counterOnly = await demo(state, 1_000_000);
    expect(counterOnly.code).toBe(3);
    expect(counterOnly.stderr).toMatch(/^place-agent: STORE_CHAIN_MISSING: .*record .* is missing.*--new-chain/m);
    expect(existsSync(join(state, 'agent.db'))).toBe(false);
    expect(snapshot(state)).toEqual(untouched);

    const fresh = await demo(state, 5, ['--new-chain']);
    expect(fresh.code, fresh.stderr).toBe(0);
    const out = f('new-chain.cbor');
    expect((await runAgent(['export', '--state', state, '--out', out])).code).toBe(0);
    const first = observations(out)[0]!;
    expect(first.get(CLAIM.seq)).toBe(1);
    const declared = (first.get(CLAIM.body) as Map<string, unknown>).get('new_chain') as Map<string, unknown>;
    expect(String(declared.get('lost_epoch'))).toBe(String(lastEpoch));
    expect(declared.has('lost_head_seq')).toBe(false);
    const v = await runAgent(['verify', '--anchor', anchor, '--file', out, '--require-genesis']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 480_000);
});

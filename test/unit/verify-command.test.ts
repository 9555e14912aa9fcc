/**
 * `place-agent verify --file` on an audit file (DESIGN.md, wire contract v1): every object is
 * reported with a stable code (observations through the chain checks, grants judged as at their
 * iat), and a cut or damaged file exits non-zero whatever verified before the damage.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../agent/cli/commands.ts';
import { parseCommand } from '../../agent/cli/args.ts';

/** `place-agent verify ...args` as the CLI parses and runs it, in this process. */
async function verifyCommand(args: string[]): Promise<number> {
  const spec = COMMANDS.find((c) => c.name === 'verify')!;
  return (await spec.load())(parseCommand(spec, args));
}
import { encodeDeterministic } from '../../agent/encoding/deterministic-cbor.ts';
import { coseKeyFromPublic } from '../../agent/encoding/cose-key.ts';
import { issueGrant } from '../../agent/authority/grant.ts';
import { ObservationChain, GENESIS_PREV } from '../../agent/lineage/observation.ts';
import { decodeSign1, encodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from './authority-fixture.ts';

let dir: string;
let anchorFile: string;
let chain: Chain;
let grantor: Chain;
let file: Buffer;
let grantBytes: Uint8Array;
let obs: Uint8Array[] = [];
let obsCount = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-verify-'));
  chain = await makeChain([{}, { level: 'authority', depth: 1, subject: 'urn:authority:grantor' }, {}]);
  grantor = { ...chain, leaf: chain.links[1]!, parents: [chain.links[0]!.bytes] };
  anchorFile = join(dir, 'anchor.cose');
  writeFileSync(anchorFile, encodeDeterministic(coseKeyFromPublic(chain.anchor.publicKey)));
  const grant = await issueGrant(
    { issuer: 'urn:authority:grantor', place: PLACE, reservation: 'R-1', unit: ['mmsi', '1'], window: [NOW * 1000, NOW * 1000 + 600_000], toleranceM: 50, graceMs: 60_000, nowMs: NOW * 1000 },
    grantor.leaf.signer,
    grantor.leaf.bytes,
    grantor.parents,
  );
  const oc = new ObservationChain(chain.leaf.signer, identityOf(chain), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  grantBytes = grant;
  obs = [];
  for (let i = 0; i < 5; i++) obs.push((await oc.append({ kind: 'envelope', place: PLACE, t: NOW * 1000 + i, tq: { src: 'rtc', sync: false, errMs: 1 }, body: { i } })).bytes);
  obsCount = 5;
  file = Buffer.concat([grant, ...obs]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out: string[];
let err: string[];
function capture(): void {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
}
afterEach(() => vi.restoreAllMocks());

async function run(bytes: Buffer): Promise<number> {
  const f = join(dir, `f-${Math.random().toString(36).slice(2)}.cbor`);
  writeFileSync(f, bytes);
  capture();
  const code = await verifyCommand(['--anchor', anchorFile, '--file', f]);
  vi.restoreAllMocks();
  return code;
}

describe('verify --file', () => {
  it('reports the grant with GRANT_OK (judged at its iat, long after its expiry) and exits 0 when all holds', async () => {
    expect(await run(file)).toBe(0);
    expect(out.join('')).toMatch(/^item 0: grant R-1 h=[0-9a-f]{16} by urn:authority:grantor: GRANT_OK$/m);
    expect(err.join('')).toMatch(new RegExp(`^${obsCount} observation\\(s\\), 0 duplicate\\(s\\), 0 failure\\(s\\), 1 other object\\(s\\)`));
  });

  it('exits 1 on a file cut inside its last item, naming SEQUENCE_MALFORMED', async () => {
    expect(await run(file.subarray(0, file.length - 7))).toBe(1);
    expect(out.join('')).toMatch(/SEQUENCE_MALFORMED/);
    expect(err.join('')).toMatch(/cut or damaged/);
  });

  it('exits 1 and names the grant when a byte of the grant is flipped', async () => {
    const bad = Buffer.from(file);
    bad[200] = bad[200]! ^ 0x10;
    expect(await run(bad)).toBe(1);
    expect(out.join('')).toMatch(/^item 0: (grant: [A-Z_]+|[A-Z_]+)/m);
  });

  describe('tamper matrix on the chain', () => {
    const lines = () => out.join('');
    it.each([
      ['an observation removed', () => [grantBytes, obs[0]!, obs[1]!, obs[3]!, obs[4]!], /^seq 4: LINEAGE_GAP/m],
      ['two observations swapped', () => [grantBytes, obs[0]!, obs[2]!, obs[1]!, obs[3]!, obs[4]!], /^seq 2: LINEAGE_REORDER/m],
    ])('%s', async (_what, make, expected) => {
      expect(await run(Buffer.concat(make()))).toBe(1);
      expect(lines()).toMatch(expected);
    });

    it('an observation delivered twice is a duplicate, not a failure', async () => {
      expect(await run(Buffer.concat([grantBytes, ...obs, obs[2]!]))).toBe(0);
      expect(err.join('')).toMatch(/1 duplicate\(s\), 0 failure\(s\)/);
    });

    it('an unprotected label added by a relay is refused with its code, and makes no fork', async () => {
      const s = decodeSign1(obs[2]!);
      const u = new Map(s.unprotected);
      u.set(33, new Uint8Array(4));
      const relayed = encodeSign1({ protectedBytes: s.protectedBytes, unprotected: u, payload: s.payload, signature: s.signature });
      expect(await run(Buffer.concat([grantBytes, ...obs, relayed]))).toBe(1);
      expect(lines()).toMatch(/COSE_UNPROTECTED_LABEL/);
      expect(lines()).not.toMatch(/LINEAGE_FORK/);
    });
  });
});

/**
 * docs/wire-contract.md in step with the code: its examples decode and verify with the
 * agent's own verifier, they have the shape the agent's encoder gives today (so a change to
 * the bytes fails here until `npm run docs:examples` regenerates them and the page is
 * updated), and its tables name the labels and typs the code uses.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLES_DIR, makeExample, type Examples } from './wire-example.ts';
import { verifyInput } from '../../agent/verify/index.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CborTag, type CborValue } from '../../agent/encoding/cbor-value.ts';
import { decodeSign1, HDR_ALG, HDR_KCWT, HDR_KID, HDR_PARENT_CREDS, HDR_TYP, HDR_VDP, TYP_ACCEPT, TYP_CRED, TYP_GRANT, TYP_OBS, TYP_REVOKE, TYP_SETTLE } from '../../agent/encoding/cose-sign1.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';
import { CWT } from '../../agent/authority/credential.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { trustAnchor } from '../../agent/authority/chain.ts';
import { publicFromCoseKey } from '../../agent/encoding/cose-key.ts';
import { OBSERVATION_KINDS } from '../../agent/authority/levels.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/wire-contract.md'), 'utf8');
const fromHex = (file: string): Uint8Array => new Uint8Array(Buffer.from(readFileSync(join(EXAMPLES_DIR, file), 'utf8').replace(/\s+/g, ''), 'hex'));

/** The structure of a decoded value: types and map keys, not the values that vary (keys, times, signatures). */
function shape(v: CborValue | undefined): unknown {
  if (v instanceof Uint8Array) return 'bstr';
  if (v instanceof CborTag) return { tag: v.tag, value: shape(v.value) };
  if (Array.isArray(v)) return v.map(shape);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), shape(x)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  return typeof v;
}

function observationShape(bytes: Uint8Array): unknown {
  const s = decodeSign1(bytes);
  return { protected: shape(s.protectedHeader as CborValue), typ: s.protectedHeader.get(HDR_TYP), unprotected: shape(s.unprotected as CborValue), payload: shape(decodeCbor(s.payload)) };
}

describe('docs/wire-contract.md', () => {
  it('its example observation verifies under its example anchor with the agent verifier', () => {
    const v = new ObservationVerifier([trustAnchor(publicFromCoseKey(decodeCbor(fromHex('anchor.cose.hex'))))]);
    const r = v.check(fromHex('observation.cbor.hex'));
    expect(r.ok ? 'ok' : `${r.code}: ${r.reason}`).toBe('ok');
  });

  it('its reservation examples, in the order the page gives, verify together: every object with its OK code, nothing failing', () => {
    const anchor = trustAnchor(publicFromCoseKey(decodeCbor(fromHex('anchor.cose.hex'))));
    const order = ['grant', 'unit-credential', 'acceptance', 'observation', 'attestation', 'settlement', 'revocation'];
    const r = verifyInput(order.map((n) => fromHex(`${n}.cbor.hex`)), [anchor]);
    expect(r.failures).toEqual([]);
    expect(r.verdicts.map((v) => `${order[v.item]}: ${v.code}`)).toEqual(['grant: GRANT_OK', 'unit-credential: CRED_OK', 'acceptance: ACCEPT_OK', 'settlement: SETTLE_OK', 'revocation: REVOCATION_OK']);
    expect(r.verdicts.find((v) => v.code === 'ACCEPT_OK')!.text).toMatch(/in this input/);
    expect(r.verdicts.find((v) => v.code === 'SETTLE_OK')!.text).toMatch(/references: 3 resolved, 0 not in this input/);
    expect(r.observations).toBe(2);
  });

  it('its examples have the shape the encoder produces today (regenerate with npm run docs:examples)', async () => {
    const now = await makeExample();
    for (const name of Object.keys(now) as (keyof Examples)[]) {
      const committed = fromHex(`${name}.hex`);
      if (name === 'anchor.cose') expect(shape(decodeCbor(committed))).toEqual(shape(decodeCbor(now[name])));
      else expect(observationShape(committed), name).toEqual(observationShape(now[name]));
      expect(doc, `the page names docs/examples/${name}.hex`).toContain(`docs/examples/${name}.hex`);
    }
  });

  it('its tables name the claim and header labels, typs and kinds the code uses', () => {
    const row = (label: number, name: string): RegExp => new RegExp(`^\\| ${label} \\| ${name} \\|`, 'm');
    for (const [name, label] of Object.entries(CLAIM)) expect(doc, `claim ${name}`).toMatch(row(label, name));
    for (const [name, label] of [['alg', HDR_ALG], ['kid', HDR_KID], ['typ', HDR_TYP], ['kcwt', HDR_KCWT]] as const) expect(doc, name).toContain(`\`${label}\` ${name}`);
    for (const label of [HDR_PARENT_CREDS, HDR_VDP]) expect(doc).toContain(`| \`${label}\` |`);
    for (const typ of [TYP_OBS, TYP_CRED, TYP_GRANT, TYP_ACCEPT, TYP_SETTLE, TYP_REVOKE]) expect(doc).toContain(`\`${typ}\``);
    for (const kind of OBSERVATION_KINDS) expect(doc).toContain(`\`${kind}\``);
    for (const [name, label] of [['parent', CWT.parent], ['depth', CWT.depth], ['level', CWT.level], ['cnf', CWT.cnf], ['scope', CWT.scope]] as const) expect(doc, name).toContain(`\`${label} ${name}\``);
  });
});

describe('documentation links', () => {
  it('every relative link in the READMEs and docs/ points at a file of this repository', () => {
    const repo = resolve(import.meta.dirname, '../..');
    const files = ['README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    for (const top of ['agent', 'drivers', 'core', 'hil', 'systemd', 'test', 'firmware-bridge']) {
      const walk = (d: string): void => {
        for (const e of readdirSync(join(repo, d), { withFileTypes: true })) {
          if (e.isDirectory() && e.name !== 'node_modules') walk(`${d}/${e.name}`);
          else if (e.name === 'README.md') files.push(`${d}/${e.name}`);
        }
      };
      if (existsSync(join(repo, top))) walk(top);
    }
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(repo, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
        const path = resolve(repo, f, '..', target);
        if (!path.startsWith(repo + '/') || !existsSync(path)) broken.push(`${f}: ${target}`);
      }
      if (text.includes('../shared/')) broken.push(`${f}: names ../shared/, which is not part of the repository`);
    }
    expect(broken).toEqual([]);
  });
});

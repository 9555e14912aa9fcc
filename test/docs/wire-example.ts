/**
 * The examples of docs/wire-contract.md, made by the agent's own code: a development authority
 * and a gateway credential under it (as `npm start` provisions them), the first observation of
 * the gateway's chain, and one reservation through every other typ: the grantor's grant, a
 * vessel's `unit` credential and its acceptance, the gateway's `arrived` attestation, a settler's
 * settlement naming all three, and the root's revocation list (retiring a gateway credential that
 * signed nothing here). `npm run docs:examples` writes them to docs/examples/; the docs test
 * compares what is committed there with what this makes today.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { embeddedPaths, provisionEmbedded } from '../../agent/runtime/provision.ts';
import { loadIdentity } from '../../agent/runtime/identity.ts';
import { ObservationChain } from '../../agent/lineage/observation.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { issueGrant, verifyGrant } from '../../agent/authority/grant.ts';
import { signAcceptance } from '../../agent/authority/acceptance.ts';
import { signSettlement } from '../../agent/authority/settlement.ts';
import { issueRevocationList } from '../../agent/authority/revocation.ts';
import { objectHash } from '../../agent/encoding/cose-sign1.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import type { Authority } from '../../agent/authority/authority-dir.ts';

export const EXAMPLE_PLACE = 'urn:place:DEMO:berth:1';
export const EXAMPLES_DIR = resolve(import.meta.dirname, '../../docs/examples');

/** Each example, by the name of its file in docs/examples/ (`<name>.hex`), in the order a reservation makes them. */
export interface Examples {
  'anchor.cose': Uint8Array;
  'observation.cbor': Uint8Array;
  'grant.cbor': Uint8Array;
  'unit-credential.cbor': Uint8Array;
  'acceptance.cbor': Uint8Array;
  'attestation.cbor': Uint8Array;
  'settlement.cbor': Uint8Array;
  'revocation.cbor': Uint8Array;
}

/** A credential under the development root, for a fresh key. */
async function underRoot(a: Authority, level: string, subject: string, kinds: string[], units: string[], nowSec: number): Promise<{ signer: SoftwareSigner; credential: Uint8Array }> {
  const signer = SoftwareSigner.generate();
  const credential = await issueCredential(
    {
      issuer: a.name,
      subject,
      subjectKey: await signer.publicKey(),
      scope: { places: [EXAMPLE_PLACE], kinds, units, maxWindowMs: 86_400_000, maxGraceMs: 3_600_000, maxToleranceM: 1_000 },
      notBefore: nowSec - 60,
      notAfter: nowSec + 365 * 86_400,
      now: nowSec,
      depth: 0,
      level,
      parentBytes: a.rootCredential,
    },
    a.signer,
  );
  return { signer, credential };
}

export async function makeExample(): Promise<Examples> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-doc-example-'));
  try {
    const now = Date.now();
    const nowSec = Math.floor(now / 1000);
    const { signer, authority: a } = await provisionEmbedded(dir, EXAMPLE_PLACE, now);
    const p = embeddedPaths(dir);
    const chain = new ObservationChain(signer, loadIdentity(dir, p.credFile, [p.parentFile]), { seq: 0, hash: new Uint8Array(32), epoch: 0n });
    chain.setEpoch(1n);
    await chain.prime();
    const tq = { src: 'ntp' as const, sync: true, errMs: 20 };
    const ob = await chain.append({ kind: 'status', place: EXAMPLE_PLACE, t: now, tq, body: { event: 'started', epoch_kind: 'file', signer: 'software', head_before: 0 } });
    const grantorSub = `${a.name}:grantor`;
    const grant = await issueGrant(
      { issuer: grantorSub, place: EXAMPLE_PLACE, reservation: 'R-1', unit: ['mmsi', '211331640'], window: [now, now + 3_600_000], toleranceM: 50, graceMs: 300_000, nowMs: now },
      a.grantor.signer,
      a.grantor.credential,
      a.grantor.parents,
    );
    const g = verifyGrant(grant, [a.anchor], now, EXAMPLE_PLACE);
    if (!g.ok) throw new Error(`example grant: ${g.code}: ${g.reason}`);
    const vessel = await underRoot(a, 'unit', 'urn:unit:mmsi:211331640', ['acceptance'], ['mmsi:211331640'], nowSec);
    const acceptance = await signAcceptance({ iss: 'urn:unit:mmsi:211331640', grant: g.grant, tMs: now + 1_000, location: { lat: 53.5396, lon: 9.9834, accuracyM: 8, t: now + 900 } }, vessel.signer, vessel.credential, [a.rootCredential]);
    const arrived = await chain.append({
      kind: 'presence',
      place: EXAMPLE_PLACE,
      t: now + 2_000,
      tq,
      nonce: g.grant.nonce,
      body: { event: 'arrived', unit: ['mmsi', '211331640'], reservation: 'R-1', grant: g.grant.hash, acceptance: objectHash(acceptance), window: [now, now + 3_600_000], conf: 0.9 },
    });
    await signer.close();
    const settler = await underRoot(a, 'settler', 'urn:settler:demo', ['settlement'], ['*'], nowSec);
    const check = (measured: number, required: number) => ({ ok: true, measured, required });
    const settlement = await signSettlement(
      {
        iss: 'urn:settler:demo',
        place: EXAMPLE_PLACE,
        nowMs: now + 3_000,
        body: {
          reservation: 'R-1',
          outcome: 'settled',
          grant: g.grant.hash,
          acceptance: objectHash(acceptance),
          attestations: [arrived.hash],
          checks: { authority: check(1, 1), spatial: check(12, 50), temporal: check(2_000, 300_000), admissibility: check(1, 1) },
          policy: 'all-checks',
        },
      },
      settler.signer,
      settler.credential,
      [a.rootCredential],
    );
    const retired = await underRoot(a, 'gateway', 'urn:place-agent:01retired', ['status'], ['*'], nowSec);
    const revocation = await issueRevocationList({ issuer: a.name, seq: 1, revoked: [objectHash(retired.credential)], grants: [], nextMs: now + 86_400_000, nowMs: now + 4_000 }, a.signer, a.rootCredential, []);
    return {
      'anchor.cose': new Uint8Array(readFileSync(join(p.authorityDir, 'anchor.cose'))),
      'observation.cbor': ob.bytes,
      'grant.cbor': grant,
      'unit-credential.cbor': vessel.credential,
      'acceptance.cbor': acceptance,
      'attestation.cbor': arrived.bytes,
      'settlement.cbor': settlement,
      'revocation.cbor': revocation,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex = (b: Uint8Array): string => (Buffer.from(b).toString('hex').match(/.{1,64}/g) ?? []).join('\n') + '\n';

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const examples = await makeExample();
  for (const [name, bytes] of Object.entries(examples)) writeFileSync(join(EXAMPLES_DIR, `${name}.hex`), hex(bytes));
  process.stdout.write(`wrote ${Object.keys(examples).map((n) => `${n}.hex`).join(', ')} to ${EXAMPLES_DIR}\n`);
}

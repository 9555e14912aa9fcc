/**
 * The example of docs/wire-contract.md, made by the agent's own code: a development
 * authority, a gateway credential under it, and the first observation of a chain.
 * `npm run docs:examples` writes it to docs/examples/; the docs test compares what is
 * committed there with what this makes today.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { embeddedPaths, provisionEmbedded } from '../../agent/runtime/provision.ts';
import { loadIdentity } from '../../agent/runtime/identity.ts';
import { ObservationChain } from '../../agent/lineage/observation.ts';

export const EXAMPLE_PLACE = 'urn:place:DEMO:berth:1';
export const EXAMPLES_DIR = resolve(import.meta.dirname, '../../docs/examples');

export async function makeExample(): Promise<{ anchor: Uint8Array; observation: Uint8Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-doc-example-'));
  try {
    const now = Date.now();
    const { signer } = await provisionEmbedded(dir, EXAMPLE_PLACE, now);
    const p = embeddedPaths(dir);
    const chain = new ObservationChain(signer, loadIdentity(dir, p.credFile, [p.parentFile]), { seq: 0, hash: new Uint8Array(32), epoch: 0n });
    chain.setEpoch(1n);
    await chain.prime();
    const ob = await chain.append({ kind: 'status', place: EXAMPLE_PLACE, t: now, tq: { src: 'ntp', sync: true, errMs: 20 }, body: { event: 'started', epoch_kind: 'file', signer: 'software', head_before: 0 } });
    await signer.close();
    return { anchor: new Uint8Array(readFileSync(join(p.authorityDir, 'anchor.cose'))), observation: ob.bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex = (b: Uint8Array): string => (Buffer.from(b).toString('hex').match(/.{1,64}/g) ?? []).join('\n') + '\n';

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { anchor, observation } = await makeExample();
  writeFileSync(join(EXAMPLES_DIR, 'anchor.cose.hex'), hex(anchor));
  writeFileSync(join(EXAMPLES_DIR, 'observation.cbor.hex'), hex(observation));
  process.stdout.write(`wrote ${EXAMPLES_DIR}/anchor.cose.hex and observation.cbor.hex\n`);
}

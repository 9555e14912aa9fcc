/**
 * The start-up check of the agent's own credential (agent/authority/self-check.ts): each
 * mismatch that would make every observation fail verification is named, so the agent refuses
 * to start (boot.ts: CONFIG_CREDENTIAL_MISMATCH, exit 2); expiry within 7 days only warns.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOwnCredential } from '../../agent/authority/self-check.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { DAY, NOW, PLACE, identityOf, makeChain, WIDE, type Chain } from './authority-fixture.ts';

let good: Chain;
beforeAll(async () => {
  good = await makeChain();
});

const check = async (c: Chain, opts: { key?: Uint8Array; iss?: string; place?: string; at?: number; anchors?: Chain } = {}) =>
  checkOwnCredential({ ...identityOf(c), ...(opts.iss ? { iss: opts.iss } : {}) }, opts.key ?? (await c.leaf.signer.publicKey()), opts.place ?? PLACE, [(opts.anchors ?? c).anchor], opts.at ?? NOW);

describe('own credential at start', () => {
  it('passes a credential that covers this key, issuer, place and kinds under a configured anchor', async () => {
    expect(await check(good)).toMatchObject({ problems: [], warnings: [] });
  });

  it('names a key that is not the credential cnf key', async () => {
    const r = await check(good, { key: await SoftwareSigner.generate().publicKey() });
    expect(r.problems.join()).toMatch(/signing key is not the credential's cnf key/);
  });

  it("names a subject that is not the agent's issuer", async () => {
    expect((await check(good, { iss: 'urn:place-agent:01ffff' })).problems.join()).toMatch(/subject .* is not this agent's issuer urn:place-agent:01ffff/);
  });

  it('names a place outside the scope, and kinds it could not sign', async () => {
    expect((await check(good, { place: 'urn:place:NLRTM:berth:1' })).problems.join()).toMatch(/CHAIN_OUT_OF_SCOPE/);
    const narrow = await makeChain([{}, { scope: { ...WIDE, kinds: ['envelope', 'presence'] } }]);
    expect((await check(narrow)).problems.join()).toMatch(/does not let this agent sign reservation, checkpoint, gap, suspension, time, status/);
  });

  it('names a chain that does not reach a configured anchor, or has expired', async () => {
    const other = await makeChain();
    expect((await check(good, { anchors: other })).problems.join()).toMatch(/CHAIN_UNKNOWN_ANCHOR/);
    expect((await check(good, { at: NOW + 31 * DAY })).problems.join()).toMatch(/CHAIN_EXPIRED/);
  });

  it('warns, without refusing, when the credential expires within 7 days', async () => {
    const r = await check(good, { at: NOW + 25 * DAY });
    expect(r.problems).toEqual([]);
    expect(r.warnings.join()).toMatch(/within 7 days/);
  });
});

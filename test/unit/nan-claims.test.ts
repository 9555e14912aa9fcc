/** NaN compares false both ways: numeric claims that are not finite integers must fail closed, not slip past scope and validity checks. */
import { describe, expect, it } from 'vitest';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { verifyCredentialChain, trustAnchor } from '../../agent/authority/chain.ts';
import { issueGrant, verifyGrant } from '../../agent/authority/grant.ts';

const now = 1_790_000_000;
const scope = { places: ['urn:place:*'], kinds: ['*'], units: ['*'], maxWindowMs: 86_400_000, maxGraceMs: 3_600_000, maxToleranceM: 1_000 };

async function root() {
  const key = SoftwareSigner.generate();
  const cred = await issueCredential({ issuer: 'urn:a', subject: 'urn:a', subjectKey: await key.publicKey(), scope, notBefore: now - 10, notAfter: now + 1000, now, depth: 2, level: 'root' }, key);
  return { key, cred, anchor: trustAnchor(await key.publicKey()) };
}

describe('non-finite numeric claims', () => {
  it('a leaf whose max window is NaN is malformed, not unlimited', async () => {
    const r = await root();
    const leafKey = SoftwareSigner.generate();
    const leaf = await issueCredential(
      { issuer: 'urn:a', subject: 'urn:desk', subjectKey: await leafKey.publicKey(), scope: { ...scope, maxWindowMs: NaN }, notBefore: now, notAfter: now + 100, now, depth: 0, level: 'desk', parentBytes: r.cred },
      r.key,
    );
    const v = verifyCredentialChain(leaf, [r.cred], [r.anchor], now + 1);
    expect(v.ok ? 'ok' : v.code).toBe('CHAIN_MALFORMED');
  });

  it('a credential whose expiry is NaN never verifies', async () => {
    const r = await root();
    const leafKey = SoftwareSigner.generate();
    const leaf = await issueCredential(
      { issuer: 'urn:a', subject: 'urn:x', subjectKey: await leafKey.publicKey(), scope, notBefore: now, notAfter: NaN, now, depth: 0, level: 'gateway', parentBytes: r.cred },
      r.key,
    );
    const v = verifyCredentialChain(leaf, [r.cred], [r.anchor], now + 1);
    expect(v.ok ? 'ok' : v.code).toBe('CHAIN_MALFORMED');
  });

  it('a grant with a NaN window is rejected as malformed', async () => {
    const r = await root();
    const g = await issueGrant(
      { issuer: 'urn:a', place: 'urn:place:X:1', reservation: 'R1', unit: ['mmsi', '1'], window: [NaN, NaN], toleranceM: 10, graceMs: 0, nowMs: now * 1000 },
      r.key,
      r.cred,
    );
    const v = verifyGrant(g, [r.anchor], now * 1000);
    expect(v.ok ? 'ok' : v.code).toBe('GRANT_MALFORMED');
  });
});

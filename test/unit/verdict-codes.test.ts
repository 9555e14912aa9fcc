/**
 * Verdict codes are a closed set (issue: typed error codes): what the verifier reports is one
 * of the registered codes, never a free string, so an integrator can switch over them.
 */
import { describe, expect, it } from 'vitest';
import { AuthorityError, signedObjectCodeOf } from '../../agent/authority/errors.ts';
import { CoseError } from '../../agent/encoding/cose-sign1.ts';
import type { VerdictCode } from '../../agent/verify/index.ts';

describe('verdict codes', () => {
  it('keeps a registered code of what was thrown and maps anything else to the fallback', () => {
    expect(signedObjectCodeOf(new AuthorityError('CHAIN_UNKNOWN_ANCHOR', 'x'), 'GRANT_MALFORMED')).toBe('CHAIN_UNKNOWN_ANCHOR');
    expect(signedObjectCodeOf(new CoseError('COSE_TOO_LARGE', 'x'), 'GRANT_MALFORMED')).toBe('COSE_TOO_LARGE');
    expect(signedObjectCodeOf(Object.assign(new Error('disk'), { code: 'ENOENT' }), 'GRANT_MALFORMED')).toBe('GRANT_MALFORMED');
    expect(signedObjectCodeOf(new RangeError('out of range'), 'ACCEPT_MALFORMED')).toBe('ACCEPT_MALFORMED');
  });

  it('does not compile a code outside the registries', () => {
    const known: VerdictCode = 'REVOKED_SIGNER';
    // @ts-expect-error REVOKED_SINGER is not a verdict code (checked by npm run typecheck)
    const misspelt: VerdictCode = 'REVOKED_SINGER';
    expect([known, misspelt]).toEqual(['REVOKED_SIGNER', 'REVOKED_SINGER']);
  });
});

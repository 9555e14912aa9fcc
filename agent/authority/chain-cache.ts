/**
 * Verified credential chains remembered by the SHA-256 of their exact bytes (signatures
 * included), so the same grantor's chain is not verified again for every grant: a chain costs
 * several ms of ECDSA on the signing thread. Only successes are kept, with the time span in
 * which they hold (the latest nbf and earliest exp of the links); the cache is bounded.
 */
import { sha256 } from '../encoding/cose-key.ts';
import { verifyCredentialChain, type ChainResult, type TrustAnchor } from './chain.ts';
import { scopeCovers } from './scope.ts';
import { levelMaySign } from './levels.ts';

export type ChainVerify = (leaf: Uint8Array, parents: Uint8Array[], atSec: number, need?: { place: string; kind: string; typ?: string }) => ChainResult;

export class CredentialChainCache {
  private readonly hits = new Map<string, { result: Extract<ChainResult, { ok: true }>; nbf: number; exp: number }>();
  verified = 0;
  reused = 0;

  constructor(
    private readonly anchors: TrustAnchor[],
    private readonly max = 256,
  ) {}

  readonly verify: ChainVerify = (leaf, parents, atSec, need) => {
    const h = new Uint8Array(32 * (1 + parents.length));
    [leaf, ...parents].forEach((c, i) => h.set(sha256(c), 32 * i));
    const key = Buffer.from(sha256(h)).toString('hex');
    const hit = this.hits.get(key);
    if (hit && atSec >= hit.nbf && atSec <= hit.exp) {
      // The chain itself holds; what this use needs of the leaf is checked again (cheap).
      if (need?.typ !== undefined) {
        const why = levelMaySign(hit.result.leaf.level, need.typ);
        if (why) return { ok: false, code: 'CHAIN_LEVEL_MAY_NOT_SIGN', reason: why, link: 0 };
      }
      if (need) {
        const why = scopeCovers(hit.result.leaf.scope, need.place, need.kind);
        if (why) return { ok: false, code: 'CHAIN_OUT_OF_SCOPE', reason: why, link: 0 };
      }
      this.reused++;
      return hit.result;
    }
    const r = verifyCredentialChain(leaf, parents, this.anchors, atSec, need);
    this.verified++;
    if (r.ok) {
      if (this.hits.size >= this.max) this.hits.delete(this.hits.keys().next().value!);
      this.hits.set(key, { result: r, nbf: Math.max(...r.links.map((l) => l.nbf)), exp: Math.min(...r.links.map((l) => l.exp)) });
    }
    return r;
  };
}

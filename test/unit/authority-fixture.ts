/**
 * A development authority for tests: a trust anchor key that self-issues a root credential,
 * optional intermediate authorities, and a device leaf bound to a software key, all made with
 * the agent's own issueCredential so the tests exercise the real wire format.
 */
import { issueCredential, type IssueRequest } from '../../agent/authority/credential.ts';
import { trustAnchor, type TrustAnchor } from '../../agent/authority/chain.ts';
import type { Scope } from '../../agent/authority/scope.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import type { Identity } from '../../agent/lineage/observation.ts';

export const NOW = 1_750_000_000; // seconds; fixed so validity checks never depend on the wall clock
export const DAY = 86_400;
export const PLACE = 'urn:place:DEHAM:berth:42';

export const WIDE: Scope = { places: ['urn:place:DEHAM:*'], kinds: ['*'], units: ['*'], maxWindowMs: 7 * DAY * 1000, maxGraceMs: DAY * 1000, maxToleranceM: 5_000 };

export interface Link {
  signer: SoftwareSigner;
  bytes: Uint8Array;
}

export interface Chain {
  anchor: TrustAnchor;
  anchorSigner: SoftwareSigner;
  /** Root first, leaf last. */
  links: Link[];
  leaf: Link;
  /** The leaf's parents, leaf's parent first (the order the wire contract carries them). */
  parents: Uint8Array[];
}

export type LinkSpec = Partial<Omit<IssueRequest, 'subjectKey' | 'parentBytes' | 'issuer'>>;

/**
 * Builds root → ... → leaf. `specs[0]` shapes the root (self-issued by the anchor key), the
 * last one the device leaf. Defaults: validity NOW-1d..NOW+30d, WIDE scope, depth counting
 * down to 0 at the leaf.
 */
export async function makeChain(specs: LinkSpec[] = [{}, {}]): Promise<Chain> {
  const anchorSigner = SoftwareSigner.generate();
  const links: Link[] = [];
  let issuer = anchorSigner;
  let parentBytes: Uint8Array | undefined;
  for (let i = 0; i < specs.length; i++) {
    const signer = i === 0 ? anchorSigner : SoftwareSigner.generate();
    const isLeaf = i === specs.length - 1 && i > 0;
    const req: IssueRequest = {
      issuer: i === 0 ? 'urn:authority:root' : `urn:authority:${i - 1}`,
      subject: isLeaf ? 'urn:place-agent:01aabbccddeeff00112233445566778899' : `urn:authority:${i}`,
      subjectKey: await signer.publicKey(),
      scope: WIDE,
      notBefore: NOW - DAY,
      notAfter: NOW + 30 * DAY,
      now: NOW,
      depth: specs.length - 1 - i,
      level: isLeaf ? 'gateway' : i === 0 ? 'root' : 'authority',
      ...specs[i],
      ...(parentBytes ? { parentBytes } : {}),
    };
    const bytes = await issueCredential(req, issuer);
    links.push({ signer, bytes });
    issuer = signer;
    parentBytes = bytes;
  }
  const leaf = links[links.length - 1]!;
  return {
    anchor: trustAnchor(await anchorSigner.publicKey()),
    anchorSigner,
    links,
    leaf,
    parents: links.slice(0, -1).reverse().map((l) => l.bytes),
  };
}

export function identityOf(chain: Chain): Identity {
  return {
    iss: 'urn:place-agent:01aabbccddeeff00112233445566778899',
    ueid: Uint8Array.from(Buffer.from('01aabbccddeeff00112233445566778899', 'hex')),
    credential: chain.leaf.bytes,
    parents: chain.parents,
  };
}

/**
 * For tests of a configured gateway run as the real binary: provisioning as an installer does
 * it, and the signed observations read back from its database (decoded, body as plain data)
 * while it runs.
 */
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { waitFor } from '../integration/agent-process.ts';
import { storedObservations } from './stored-observations.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

/** Provisioning and the config head are shared with the place demos (hil/demo/). */
export { gatewayConfigHead, provisionGateway } from '../../hil/gateway-provision.ts';

export interface Signed {
  seq: number;
  kind: string;
  claims: Map<number, unknown>;
  body: Record<string, unknown>;
}

export type EnvelopeDims = Record<string, { value: unknown; unit: string; conf: number; sources: string[]; t: number }>;

/** CBOR maps (text keys) as plain objects, for assertions. */
export function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export function signedObservations(db: string): Signed[] {
  return (existsSync(db) ? storedObservations(db) : []).map((r) => {
    const claims = decodeCbor(decodeSign1(r.bytes).payload) as Map<number, unknown>;
    return { seq: r.seq, kind: r.kind, claims, body: plain(claims.get(CLAIM.body)) as Record<string, unknown> };
  });
}

/** The first envelope signed after `seq` whose dimensions satisfy `pred`. */
export async function envelopeAfter(db: string, seq: number, pred: (dims: EnvelopeDims) => boolean, what: string, ms = 20_000): Promise<Signed> {
  let found: Signed | undefined;
  await waitFor(() => {
    found = signedObservations(db).find((o) => o.seq > seq && o.kind === 'envelope' && pred(o.body.dims as EnvelopeDims));
    return found !== undefined;
  }, ms, what);
  return found!;
}

/**
 * The envelope that signs a change of the world: the first after the current head whose
 * dimensions satisfy `pred`, asserted to come within 6 s. The place tests' periods are 30 s,
 * so it is the change signed at once, not the next period's envelope.
 */
export async function envelopeChange(db: string, pred: (dims: EnvelopeDims) => boolean, what: string): Promise<Signed> {
  const mark = signedObservations(db).at(-1)?.seq ?? 0;
  const t0 = Date.now();
  const e = await envelopeAfter(db, mark, pred, what);
  expect(Date.now() - t0, `${what} within 6 s`).toBeLessThan(6000);
  return e;
}

/** The seq of every stored observation the library verifier rejects under the anchor at `anchorPath`. */
export function unverified(db: string, anchorPath: string): number[] {
  const verifier = new ObservationVerifier([loadTrustAnchor(anchorPath)]);
  return storedObservations(db)
    .filter((r) => !verifier.check(r.bytes).ok)
    .map((r) => r.seq);
}

/** `kind:event-or-reason:scheme:id` of every observation about units, in chain order. */
export function unitObservations(all: Signed[]): string[] {
  return all
    .filter((o) => o.kind === 'presence' || (o.kind === 'reservation' && o.body.unit) || o.kind === 'suspension')
    .map((o) => `${o.kind}:${String(o.body.event ?? o.body.reason ?? o.body.scope)}:${((o.body.unit as string[] | undefined) ?? []).join(':')}`);
}

/**
 * For tests of a configured gateway run as the real binary: provisioning as an installer does
 * it, and the signed observations read back from its database (decoded, body as plain data)
 * while it runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runAgent, waitFor } from '../integration/agent-process.ts';
import { storedObservations } from './stored-observations.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { decodeCbor } from '../../agent/encoding/cbor-decode.ts';
import { CLAIM } from '../../agent/lineage/observation.ts';

export interface Signed {
  seq: number;
  kind: string;
  claims: Map<number, unknown>;
  body: Record<string, unknown>;
}

/** The YAML lines every provisioned test gateway's config starts with (see provisionGateway). */
export function gatewayConfigHead(place: string, state: string, auth: string, brokerUrl: string): string[] {
  return [
    `place: ${place}`,
    `stateDir: ${state}`,
    'credential:',
    `  parents: [${join(auth, 'root.cred')}]`,
    `trustAnchors: [${join(auth, 'anchor.cose')}]`,
    'mqtt:',
    `  url: ${brokerUrl}`,
  ];
}

export type EnvelopeDims = Record<string, { value: unknown; unit: string; conf: number; sources: string[]; t: number }>;

/** `keys init`, an authority, and a device credential for that key scoped to `place`. */
export async function provisionGateway(state: string, auth: string, authorityName: string, place: string): Promise<void> {
  expect((await runAgent(['keys', 'init', '--state', state])).code).toBe(0);
  expect((await runAgent(['authority', 'init', '--dir', auth, '--name', authorityName])).code).toBe(0);
  const iss = JSON.parse((await runAgent(['keys', 'show', '--state', state, '--json', '--public-out', join(state, 'device.pub')])).stdout).issuer as string;
  const issued = await runAgent(['authority', 'issue', '--dir', auth, '--subject', iss, '--key', join(state, 'device.pub'), '--places', place, '--out', join(state, 'device.cred')]);
  expect(issued.code, issued.stderr).toBe(0);
}

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

/** `kind:event-or-reason:scheme:id` of every observation about units, in chain order. */
export function unitObservations(all: Signed[]): string[] {
  return all
    .filter((o) => o.kind === 'presence' || (o.kind === 'reservation' && o.body.unit) || o.kind === 'suspension')
    .map((o) => `${o.kind}:${String(o.body.event ?? o.body.reason ?? o.body.scope)}:${((o.body.unit as string[] | undefined) ?? []).join(':')}`);
}

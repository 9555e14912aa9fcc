/**
 * One reservation at one place with an object of every typ of the wire contract, made by the
 * agent's own signing code: root (the anchor's credential) → grantor authority → gateway, and
 * under the root a `unit` credential for mmsi:211331640 and a `settler`. The grantor grants R-1;
 * the unit accepts it; the gateway signs an envelope, an `arrived` attestation naming the grant
 * and the acceptance, and a checkpoint; the settler settles; the root signs a revocation list.
 */
import { issueCredential } from '../../agent/authority/credential.ts';
import { issueGrant, verifyGrant, type ReservationGrant } from '../../agent/authority/grant.ts';
import { signAcceptance } from '../../agent/authority/acceptance.ts';
import { signSettlement, type SettlementBody } from '../../agent/authority/settlement.ts';
import { issueRevocationList, type RevocationRequest } from '../../agent/authority/revocation.ts';
import { sha256 } from '../../agent/encoding/cose-key.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { ObservationChain, GENESIS_PREV, type SignedObservation } from '../../agent/lineage/observation.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import type { Scope } from '../../agent/authority/scope.ts';
import { DAY, NOW, PLACE, WIDE, identityOf, makeChain, type Chain } from './authority-fixture.ts';

export const T = NOW * 1000;
export const UNIT_URN = 'urn:unit:mmsi:211331640';
export const SETTLER_URN = 'urn:settler:clearing-1';
export const ROOT_URN = 'urn:authority:0';

export interface Holder {
  signer: SoftwareSigner;
  credential: Uint8Array;
  parents: Uint8Array[];
  sub: string;
}

export interface Site {
  chain: Chain;
  root: Holder;
  grantor: Holder;
  gateway: Holder;
  unit: Holder;
  settler: Holder;
  grant: Uint8Array;
  grantClaims: ReservationGrant;
  acceptance: Uint8Array;
  observations: SignedObservation[];
  /** The `arrived` attestation among the observations. */
  presence: SignedObservation;
  settlement: Uint8Array;
  revocation: Uint8Array;
}

export const h = (cose: Uint8Array): Uint8Array => sha256(decodeSign1(cose).payload);

/** A credential under the root, signed by the anchor key. */
export async function underRoot(chain: Chain, level: string, sub: string, scope: Partial<Scope>): Promise<Holder> {
  const signer = SoftwareSigner.generate();
  const root = chain.links[0]!.bytes;
  const credential = await issueCredential(
    { issuer: ROOT_URN, subject: sub, subjectKey: await signer.publicKey(), scope: { ...WIDE, ...scope }, notBefore: NOW - DAY, notAfter: NOW + 30 * DAY, now: NOW, depth: 0, level, parentBytes: root },
    chain.anchorSigner,
  );
  return { signer, credential, parents: [root], sub };
}

export function settlementBody(s: { grant: Uint8Array; acceptance?: Uint8Array; attestations: Uint8Array[] }, over: Partial<SettlementBody> = {}): SettlementBody {
  const ok = (measured: number, required: number) => ({ ok: true, measured, required });
  return {
    reservation: 'R-1',
    outcome: 'settled',
    grant: s.grant,
    ...(s.acceptance ? { acceptance: s.acceptance } : {}),
    attestations: s.attestations,
    checks: { authority: ok(1, 1), spatial: ok(12, 50), temporal: ok(60_000, 120_000), admissibility: ok(1, 1) },
    policy: 'all-checks',
    ...over,
  };
}

export function revocationBy(site: Pick<Site, 'root'>, over: Partial<RevocationRequest> = {}): Promise<Uint8Array> {
  return issueRevocationList({ issuer: ROOT_URN, seq: 1, revoked: [], grants: [], nextMs: T + DAY * 1000, nowMs: T + 5_000, ...over }, site.root.signer, site.root.credential, site.root.parents);
}

export async function makeSite(): Promise<Site> {
  const chain = await makeChain([{}, { level: 'authority', depth: 1, subject: 'urn:authority:grantor' }, {}]);
  const root: Holder = { signer: chain.anchorSigner, credential: chain.links[0]!.bytes, parents: [], sub: ROOT_URN };
  const grantor: Holder = { signer: chain.links[1]!.signer, credential: chain.links[1]!.bytes, parents: [chain.links[0]!.bytes], sub: 'urn:authority:grantor' };
  const gateway: Holder = { signer: chain.leaf.signer, credential: chain.leaf.bytes, parents: chain.parents, sub: identityOf(chain).iss };
  const unit = await underRoot(chain, 'unit', UNIT_URN, { kinds: ['acceptance'], units: ['mmsi:211331640'] });
  const settler = await underRoot(chain, 'settler', SETTLER_URN, { kinds: ['settlement'] });
  const grant = await issueGrant(
    { issuer: grantor.sub, place: PLACE, reservation: 'R-1', unit: ['mmsi', '211331640'], window: [T, T + 600_000], toleranceM: 50, graceMs: 60_000, nowMs: T - 60_000 },
    grantor.signer,
    grantor.credential,
    grantor.parents,
  );
  const v = verifyGrant(grant, [chain.anchor], T - 60_000, PLACE);
  if (!v.ok) throw new Error(`fixture grant: ${v.code}: ${v.reason}`);
  const acceptance = await signAcceptance({ iss: UNIT_URN, grant: v.grant, tMs: T + 1_000, location: { lat: 53.5396, lon: 9.9834, accuracyM: 8, t: T + 900 } }, unit.signer, unit.credential, unit.parents);
  const oc = new ObservationChain(gateway.signer, identityOf(chain), { seq: 0, hash: GENESIS_PREV, epoch: 1n });
  const tq = { src: 'ntp' as const, sync: true, errMs: 5 };
  const observations = [
    await oc.append({ kind: 'envelope', place: PLACE, t: T, tq, body: { dims: { occupied: { value: false, unit: 'bool', conf: 0.9, sources: ['range-1'], t: T } }, valid: [T, T + 60_000] } }),
    await oc.append({
      kind: 'presence',
      place: PLACE,
      t: T + 2_000,
      tq,
      nonce: v.grant.nonce,
      body: { event: 'arrived', unit: ['mmsi', '211331640'], reservation: 'R-1', grant: v.grant.hash, acceptance: h(acceptance), window: [T, T + 600_000], conf: 0.9 },
    }),
    await oc.append({ kind: 'checkpoint', place: PLACE, t: T + 3_000, tq, body: { head: 2 } }),
  ];
  const presence = observations[1]!;
  const settlement = await signSettlement(
    { iss: SETTLER_URN, place: PLACE, nowMs: T + 700_000, body: settlementBody({ grant: v.grant.hash, acceptance: h(acceptance), attestations: [presence.hash] }) },
    settler.signer,
    settler.credential,
    settler.parents,
  );
  const revocation = await revocationBy({ root }, { revoked: [new Uint8Array(32).fill(7)] });
  return { chain, root, grantor, gateway, unit, settler, grant, grantClaims: v.grant, acceptance, observations, presence, settlement, revocation };
}

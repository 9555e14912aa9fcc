/**
 * Building and signing observations (DESIGN.md, wire contract v1): the claims map, the
 * COSE_Sign1 around it, and the lineage fields (seq, prev, epoch) that chain them.
 */
import { ByteSlab } from '../encoding/byte-slab.ts';
import { randomFillSync } from 'node:crypto';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { CborFloat } from '../encoding/cbor-value.ts';
import { encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { MAX_SIGNED_OBJECT_BYTES, TYP_OBS, Sign1Assembler, credentialHeader, objectHash, protectedHeader } from '../encoding/cose-sign1.ts';
import { coseKeyThumbprint, sha256 } from '../encoding/cose-key.ts';
import type { Signer } from '../../core/ports/signer.ts';

import { CLAIM, type Identity, type LineageHead, type ObservationDraft, type SignedObservation } from './observation-types.ts';
import { PayloadWriter } from './payload.ts';
import { LineageLogError } from './errors.ts';

export * from './observation-types.ts';

export const GENESIS_PREV = new Uint8Array(32);

// cti values come from a pool refilled 256 at a time: one CSPRNG call instead of one per observation.
let ctiPool = new Uint8Array(0);
let ctiOffset = 0;
function nextCti(): Uint8Array {
  if (ctiOffset + 16 > ctiPool.length) {
    ctiPool = randomFillSync(new Uint8Array(16 * 256));
    ctiOffset = 0;
  }
  const out = ctiPool.slice(ctiOffset, ctiOffset + 16);
  ctiOffset += 16;
  return out;
}

export function buildPayload(d: ObservationDraft, id: Identity, credHash: Uint8Array, seq: number, prev: Uint8Array, epoch: bigint, cti: Uint8Array): Uint8Array {
  const m = new Map<CborMapKey, CborValue>([
    [CLAIM.iss, id.iss],
    [CLAIM.iat, Math.floor(d.t / 1000)],
    [CLAIM.cti, cti],
    [CLAIM.ueid, id.ueid],
    [CLAIM.kind, d.kind],
    [CLAIM.place, d.place],
    [CLAIM.seq, seq],
    [CLAIM.prev, prev],
    [CLAIM.epoch, epoch],
    [CLAIM.t, d.t],
    [CLAIM.tq, { src: d.tq.src, sync: d.tq.sync, err: d.tq.errMs }],
    [CLAIM.cred, credHash],
    [CLAIM.body, d.body],
  ]);
  if (d.nonce) m.set(CLAIM.nonce, d.nonce);
  if (d.location) {
    // EAT location claim (RFC 9711 §4.2.9): 1 latitude, 2 longitude, 4 accuracy, 8 timestamp.
    m.set(
      CLAIM.location,
      new Map<CborMapKey, CborValue>([
        [1, new CborFloat(d.location.lat)],
        [2, new CborFloat(d.location.lon)],
        [4, new CborFloat(d.location.accuracyM)],
        [8, Math.floor(d.location.t / 1000)],
      ]),
    );
  }
  return encodeDeterministic(m);
}

/**
 * Signs drafts onto one chain, strictly one after another: each prev is h() of the one before,
 * the SHA-256 of its payload bytes (DESIGN.md, wire contract v1), so the chain is fixed once the
 * payloads are and signatures could be computed in parallel. The caller commits each result
 * before it advances the durable head.
 */
export class ObservationChain {
  private head: LineageHead;
  private credHash: Uint8Array;
  private payloadWriter: PayloadWriter;
  private protectedBytes: Uint8Array | undefined;
  private assembler: Sign1Assembler | undefined;
  private unprotectedEncoded: Uint8Array;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly signer: Signer,
    private id: Identity,
    head: LineageHead,
  ) {
    this.head = { ...head };
    // cred = h(leaf credential): SHA-256 of its payload (DESIGN.md, "Identity of a signed object").
    this.credHash = objectHash(id.credential);
    this.payloadWriter = new PayloadWriter(id, this.credHash);
    this.unprotectedEncoded = encodeDeterministic(credentialHeader(id.credential, id.parents));
  }

  /**
   * Signs under a renewed credential (same key, same iss) from the next prepared link on: the
   * chain goes on, `cred` and the carried credentials change. Links prepared before keep the
   * headers they were prepared with (PreparedLinks carries its assembler).
   */
  useIdentity(id: Identity): void {
    if (id.iss !== this.id.iss || !Buffer.from(id.ueid).equals(Buffer.from(this.id.ueid))) throw new Error('a renewed credential keeps the issuer and device id');
    this.id = id;
    this.credHash = objectHash(id.credential);
    this.payloadWriter = new PayloadWriter(id, this.credHash);
    this.unprotectedEncoded = encodeDeterministic(credentialHeader(id.credential, id.parents));
    if (this.protectedBytes) this.assembler = new Sign1Assembler(this.protectedBytes, this.unprotectedEncoded);
  }

  /** h() of the credential signed under now. */
  get credentialHash(): Uint8Array {
    return this.credHash;
  }

  current(): LineageHead {
    return { ...this.head };
  }

  /** Puts the head back to a durable one after a failed commit, so the same seqs are signed again. */
  rewind(head: LineageHead): void {
    this.head = { ...head };
  }

  /** Moves the chain to a new epoch (raised at start and at checkpoints). */
  setEpoch(epoch: bigint): void {
    this.head = { ...this.head, epoch };
  }

  private async prot(): Promise<Uint8Array> {
    if (!this.protectedBytes) {
      this.protectedBytes = protectedHeader(coseKeyThumbprint(await this.signer.publicKey()), TYP_OBS);
      this.assembler = new Sign1Assembler(this.protectedBytes, this.unprotectedEncoded);
    }
    return this.protectedBytes;
  }

  /** Signs the draft as the next link; calls are serialised in call order. */
  append(d: ObservationDraft): Promise<SignedObservation> {
    const run = this.tail.then(() => this.appendNow(d));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Synchronous append for signers that can sign synchronously; must not interleave with append(). */
  appendSync(d: ObservationDraft): SignedObservation {
    if (!this.signer.signSync || !this.protectedBytes) throw new Error('appendSync needs a synchronous signer and a primed chain');
    const links = this.prepare([d]);
    const t0 = performance.now();
    const sig = this.signer.signSync(links.items[0]!.toBeSigned);
    this.onSigned?.(performance.now() - t0);
    return this.complete(links, [sig])[0]!;
  }

  async prime(): Promise<void> {
    await this.prot();
  }

  get canSignSync(): boolean {
    return typeof this.signer.signSync === 'function' && this.protectedBytes !== undefined;
  }

  /**
   * The next links for `drafts`, head advanced past them, nothing signed yet: prev is h() of
   * the payload before (DESIGN.md, wire contract v1), so a whole batch is chained from hashes
   * and its signatures can be made together, in parallel (Signer.signMany). The chain must be
   * primed; a failed batch is undone with rewind().
   */
  prepare(drafts: ObservationDraft[]): PreparedLinks {
    if (!this.assembler) throw new Error('prepare needs a primed chain');
    const a = this.assembler;
    const items: PreparedLink[] = [];
    const start = this.head;
    // The batch's Sig_structures are cut from shared chunks (byte-slab.ts); each payload is a
    // view of its Sig_structure, which holds it whole, rather than a copy of its own.
    const slab = new ByteSlab(ByteSlab.chunkFor(drafts.length, 512));
    const take = (n: number): Uint8Array => slab.take(n);
    for (const [index, d] of drafts.entries()) {
      const seq = this.head.seq + 1;
      // The writer's buffer is reused by the next encode: sigStructure() copies the bytes out.
      const encoded = this.payloadWriter.encode(d, seq, this.head.hash, this.head.epoch, nextCti());
      // Every verifier refuses a signed object over 16 KiB before decoding it (DESIGN.md, wire
      // contract v1), so one that large is never signed: the chain stays where it was and the
      // caller is told which draft it was. Bytes: prefix, payload bstr (head <= 3 bytes at this
      // size), signature bstr (2 + 64).
      const bytes = a.prefixLength + 3 + encoded.length + 66;
      if (bytes > MAX_SIGNED_OBJECT_BYTES) {
        this.head = start;
        throw new LineageLogError('OBS_TOO_LARGE', `a ${d.kind} observation would be ${bytes} bytes signed, over the ${MAX_SIGNED_OBJECT_BYTES} every verifier accepts`, { index, kind: d.kind, bytes });
      }
      const toBeSigned = a.sigStructure(encoded, take);
      const from = a.payloadOffsetInSigStructure(encoded.length);
      const payload = toBeSigned.subarray(from, from + encoded.length);
      this.head = { seq, hash: sha256(payload), epoch: this.head.epoch };
      items.push({ draft: d, seq, epoch: this.head.epoch, hash: this.head.hash, payload, toBeSigned });
    }
    return { items, assembler: a };
  }

  /** The signed observations of prepared links, given their signatures in the same order. */
  complete(links: PreparedLinks, signatures: Uint8Array[]): SignedObservation[] {
    const a = links.assembler;
    if (signatures.length !== links.items.length) throw new Error('one signature per prepared link');
    // The batch's COSE bytes from shared chunks (byte-slab.ts): they are committed, published
    // and dropped together.
    const slab = new ByteSlab(ByteSlab.chunkFor(links.items.length, a.prefixLength + 512));
    const take = (n: number): Uint8Array => slab.take(n);
    return links.items.map((l, i) => {
      const d = l.draft;
      return { seq: l.seq, kind: d.kind, place: d.place, t: d.t, epoch: l.epoch, bytes: a.assemble(l.payload, signatures[i]!, take), hash: l.hash, prefixLength: a.prefixLength };
    });
  }

  /** Told how long each signature took, in ms (the signer latency metric). */
  onSigned: ((ms: number) => void) | undefined;

  /** Signs prepared links: a batch signer's signMany, otherwise one signature after another. */
  async sign(links: PreparedLinks): Promise<Uint8Array[]> {
    const msgs = links.items.map((l) => l.toBeSigned);
    if (this.signer.signMany) {
      // Signed together in parallel: each signature is ready when the batch is, so each is
      // recorded with the batch's wall time.
      const t0 = performance.now();
      const sigs = await this.signer.signMany(msgs);
      const ms = performance.now() - t0;
      for (let i = 0; i < sigs.length; i++) this.onSigned?.(ms);
      return sigs;
    }
    const out: Uint8Array[] = [];
    for (const m of msgs) out.push(await this.timed(() => this.signer.sign(m)));
    return out;
  }

  private async timed(sign: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const t0 = performance.now();
    const sig = await sign();
    this.onSigned?.(performance.now() - t0);
    return sig;
  }

  private async appendNow(d: ObservationDraft): Promise<SignedObservation> {
    await this.prot();
    const links = this.prepare([d]);
    return this.complete(links, [await this.timed(() => this.signer.sign(links.items[0]!.toBeSigned))])[0]!;
  }
}

export interface PreparedLink {
  draft: ObservationDraft;
  seq: number;
  epoch: bigint;
  /** h(payload): the next link's prev. */
  hash: Uint8Array;
  payload: Uint8Array;
  /** The COSE Sig_structure (RFC 9052 §4.4) the signature covers. */
  toBeSigned: Uint8Array;
}

export interface PreparedLinks {
  items: PreparedLink[];
  /** The headers these links were prepared under (a renewal between prepare and complete changes the chain's). */
  assembler: Sign1Assembler;
}

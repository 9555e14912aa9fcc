/**
 * The observation payload (DESIGN.md, wire contract v1, claims table) written straight into one
 * buffer in its fixed deterministic key order, the signing hot path. The claim labels sort, by
 * their deterministic encodings (RFC 8949 §4.2.1), as
 *   1 iss (0x01) < 6 iat < 7 cti < 10 nonce (0x0a) < 256 ueid (0x19 0100) < 264 location (0x19 0108)
 *   < -65537 kind (0x3a 00010000) < -65538 place < ... < -65545 body (0x3a 00010008),
 * so no sorting happens per observation; what is the same every time (iss, ueid, cred and the
 * label bytes) is encoded once. buildPayload() in observation.ts is the reference this must
 * equal byte for byte (test/unit/payload-writer.test.ts).
 */
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { CborFloat } from '../encoding/cbor-value.ts';
import { CborWriter, encodeDeterministic } from '../encoding/deterministic-cbor.ts';
import { CLAIM, type Identity, type ObservationDraft } from './observation-types.ts';

const key = (label: number): Uint8Array => encodeDeterministic(label);
const K = Object.fromEntries(Object.entries(CLAIM).map(([name, label]) => [name, key(label)])) as Record<keyof typeof CLAIM, Uint8Array>;

function entry(label: Uint8Array, value: CborValue): Uint8Array {
  const w = new CborWriter(64);
  w.bytes(label);
  w.value(value);
  return w.result();
}

const TEXT_CACHE_MAX = 256;

export class PayloadWriter {
  private readonly issEntry: Uint8Array;
  private readonly ueidEntry: Uint8Array;
  private readonly credEntry: Uint8Array;
  /** kind and place values repeat: their text encodings are kept (bounded). */
  private readonly texts = new Map<string, Uint8Array>();

  constructor(id: Identity, credHash: Uint8Array) {
    this.issEntry = entry(K.iss, id.iss);
    this.ueidEntry = entry(K.ueid, id.ueid);
    this.credEntry = entry(K.cred, credHash);
  }

  private text(s: string): Uint8Array {
    let b = this.texts.get(s);
    if (!b) {
      b = encodeDeterministic(s);
      if (this.texts.size < TEXT_CACHE_MAX) this.texts.set(s, b);
    }
    return b;
  }

  /** One buffer, reused: encode() returns a view of it, valid until the next call. */
  private readonly w = new CborWriter(1024);

  encode(d: ObservationDraft, seq: number, prev: Uint8Array, epoch: bigint, cti: Uint8Array): Uint8Array {
    const w = this.w;
    w.reset();
    w.head(5, 13 + (d.nonce ? 1 : 0) + (d.location ? 1 : 0));
    w.bytes(this.issEntry);
    w.bytes(K.iat);
    w.value(Math.floor(d.t / 1000));
    w.bytes(K.cti);
    w.value(cti);
    if (d.nonce) {
      w.bytes(K.nonce);
      w.value(d.nonce);
    }
    w.bytes(this.ueidEntry);
    if (d.location) {
      // EAT location claim (RFC 9711 §4.2.9): 1 latitude, 2 longitude, 4 accuracy, 8 timestamp.
      w.bytes(K.location);
      w.head(5, 4);
      w.byte(0x01);
      w.value(new CborFloat(d.location.lat));
      w.byte(0x02);
      w.value(new CborFloat(d.location.lon));
      w.byte(0x04);
      w.value(new CborFloat(d.location.accuracyM));
      w.byte(0x08);
      w.value(Math.floor(d.location.t / 1000));
    }
    w.bytes(K.kind);
    w.bytes(this.text(d.kind));
    w.bytes(K.place);
    w.bytes(this.text(d.place));
    w.bytes(K.seq);
    w.value(seq);
    w.bytes(K.prev);
    w.value(prev);
    w.bytes(K.epoch);
    w.value(epoch);
    w.bytes(K.t);
    w.value(d.t);
    // tq: text keys sort as "err" (0x63 65..) < "src" (0x63 73..) < "sync" (0x64 ..).
    w.bytes(K.tq);
    w.head(5, 3);
    w.bytes(TQ_ERR);
    w.value(d.tq.errMs);
    w.bytes(TQ_SRC);
    w.bytes(this.text(d.tq.src));
    w.bytes(TQ_SYNC);
    w.byte(d.tq.sync ? 0xf5 : 0xf4);
    w.bytes(this.credEntry);
    w.bytes(K.body);
    w.value(d.body as Map<CborMapKey, CborValue> | { [k: string]: CborValue });
    return w.view();
  }
}

const TQ_ERR = encodeDeterministic('err');
const TQ_SRC = encodeDeterministic('src');
const TQ_SYNC = encodeDeterministic('sync');

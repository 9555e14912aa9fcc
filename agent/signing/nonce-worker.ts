/**
 * Worker thread that precomputes the message-independent half of ECDSA P-256 signatures for a
 * software key (see presign.ts): per nonce k, r = x(k·G) mod n, k⁻¹ and k⁻¹·r·d, all mod n.
 * k and k·G come from OpenSSL's EC key generation (node:crypto ECDH generateKeys: k uniform in
 * [1, n-1] from its CSPRNG, fixed-base multiplication); k⁻¹ from one inversion per batch
 * (Montgomery's trick) with @noble/curves' scalar field. A batch goes to the parent as r values
 * (32 bytes each, one transferred buffer) and k⁻¹ and k⁻¹·r·d as bigints; nothing here is
 * written anywhere.
 */
import { createECDH } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { p256 } from '@noble/curves/nist.js';
import { bytesToScalar, scalarInto } from './scalar.ts';

const Fn = p256.Point.Fn;
const N = Fn.ORDER;
const d = bytesToScalar((workerData as { data: { d: Uint8Array } }).data.d);
const ecdh = createECDH('prime256v1');

export interface NonceBatch {
  /** r of each nonce, 32 bytes big-endian each. */
  r: Uint8Array;
  kinv: bigint[];
  /** k⁻¹·r·d mod n */
  t: bigint[];
}

function nonce(): { k: bigint; r: bigint } {
  for (;;) {
    const R = ecdh.generateKeys(); // uncompressed: 0x04 || X || Y
    const k = bytesToScalar(ecdh.getPrivateKey());
    const r = bytesToScalar(R.subarray(1, 33)) % N;
    if (r !== 0n) return { k, r }; // FIPS 186-5 §6.4.1: r = 0 means another k
  }
}

function batch(count: number): NonceBatch {
  const ks: bigint[] = [];
  const rs: bigint[] = [];
  const prefix: bigint[] = [];
  let acc = 1n;
  for (let i = 0; i < count; i++) {
    const { k, r } = nonce();
    ks.push(k);
    rs.push(r);
    prefix.push(acc);
    acc = Fn.mul(acc, k);
  }
  let inv = Fn.inv(acc);
  const out: NonceBatch = { r: new Uint8Array(32 * count), kinv: new Array<bigint>(count), t: new Array<bigint>(count) };
  for (let i = count - 1; i >= 0; i--) {
    const kinv = Fn.mul(inv, prefix[i]!);
    inv = Fn.mul(inv, ks[i]!);
    scalarInto(out.r, 32 * i, rs[i]!);
    out.kinv[i] = kinv;
    out.t[i] = Fn.mul(kinv, Fn.mul(rs[i]!, d));
  }
  return out;
}

parentPort!.on('message', (m: { want: number }) => {
  const b = batch(m.want);
  parentPort!.postMessage(b, [b.r.buffer as ArrayBuffer]);
});

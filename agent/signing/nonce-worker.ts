/**
 * Worker thread that precomputes the message-independent half of ECDSA P-256 signatures for a
 * software key (see presign.ts): per nonce k, r = x(k·G) mod n, k⁻¹ and k⁻¹·r·d, all mod n.
 * k comes from the CSPRNG by rejection sampling (uniform in [1, n-1]); k·G is computed by
 * OpenSSL (node:crypto ECDH, fixed-base); k⁻¹ by one inversion per batch (Montgomery's trick)
 * with @noble/curves' scalar field. Batches go to the parent as one transferred buffer of
 * 96-byte records r || k⁻¹ || k⁻¹·r·d; nothing here is written anywhere.
 */
import { createECDH, randomFillSync } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { p256 } from '@noble/curves/nist.js';
import { bytesToScalar, scalarInto } from './scalar.ts';

const Fn = p256.Point.Fn;
const N = Fn.ORDER;
const d = bytesToScalar((workerData as { data: { d: Uint8Array } }).data.d);
const ecdh = createECDH('prime256v1');
const kBytes = new Uint8Array(32);

function nonce(): { k: bigint; r: bigint } {
  for (;;) {
    randomFillSync(kBytes);
    const k = bytesToScalar(kBytes);
    if (k === 0n || k >= N) continue; // FIPS 186-5 A.3.2 style rejection: uniform in [1, n-1]
    ecdh.setPrivateKey(kBytes);
    const R = ecdh.getPublicKey(); // uncompressed: 0x04 || X || Y
    const r = bytesToScalar(R.subarray(1, 33)) % N;
    if (r !== 0n) return { k, r };
  }
}

function batch(count: number): ArrayBuffer {
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
  const out = new Uint8Array(96 * count);
  for (let i = count - 1; i >= 0; i--) {
    const kinv = Fn.mul(inv, prefix[i]!);
    inv = Fn.mul(inv, ks[i]!);
    scalarInto(out, 96 * i, rs[i]!);
    scalarInto(out, 96 * i + 32, kinv);
    scalarInto(out, 96 * i + 64, Fn.mul(kinv, Fn.mul(rs[i]!, d)));
  }
  return out.buffer;
}

parentPort!.on('message', (m: { want: number }) => {
  const buf = batch(m.want);
  parentPort!.postMessage(buf, [buf]);
});

/**
 * A signing thread of the SigningPool (signing-pool.ts): ES256 with node:crypto (OpenSSL's
 * constant-time P-256, a fresh nonce per signature from OpenSSL), each signature checked
 * against the public key before it leaves the thread when the pool asks for it. The private
 * key arrives as a KeyObject (cloned by Node into this thread), never as bytes in JS.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { signOne, type SignRequest, type SignReply } from './signing-core.ts';

const { key, pub } = (workerData as { data: { key: KeyObject; pub: KeyObject } }).data;
const port = parentPort!;

port.on('message', (req: SignRequest) => {
  const msgs = new Uint8Array(req.bytes);
  const n = req.ends.length;
  const sigs = new Uint8Array(64 * n);
  const failed: number[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = req.ends[i]!;
    const ok = signOne(key, pub, msgs.subarray(start, end), sigs.subarray(64 * i, 64 * i + 64), req.check[i] === 1, req.corrupt.includes(i));
    if (!ok) failed.push(i);
    start = end;
  }
  const reply: SignReply = { id: req.id, sigs: sigs.buffer, failed };
  port.postMessage(reply, [sigs.buffer]);
});

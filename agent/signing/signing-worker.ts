/**
 * A signing thread of the SigningPool (signing-pool.ts): ES256 with node:crypto (OpenSSL's
 * constant-time P-256, a fresh nonce per signature from OpenSSL), each signature checked
 * against the public key before it is handed back when the pool asks for it. It takes runs of
 * a batch shared with the other signing threads (signing-core.ts, signShared) until none are left. The private
 * key arrives as a KeyObject (cloned by Node into this thread), never as bytes in JS.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { signShared, type SharedBatch } from './signing-core.ts';

const { key, pub } = (workerData as { data: { key: KeyObject; pub: KeyObject } }).data;
const port = parentPort!;

port.on('message', (b: SharedBatch) => {
  const signed = signShared(key, pub, b);
  port.postMessage({ id: b.id, signed });
});

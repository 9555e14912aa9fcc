/**
 * ECDSA P-256 signing split in two (the offline/online form of ECDSA): everything that does
 * not depend on the message, per nonce k the values r = x(k·G) mod n, k⁻¹ and k⁻¹·r·d, is
 * precomputed in a worker thread (nonce-worker.ts); what is left per message is
 *   s = k⁻¹·(z + r·d) = k⁻¹·z + k⁻¹·r·d  (mod n),  z = SHA-256(message) as an integer
 * (FIPS 186-5 §6.4.1; with SHA-256 and a 256-bit n no truncation applies), one modular
 * multiplication. Why: every observation's prev is the hash of the one before, so signing is
 * strictly serial on one thread; this moves ~85% of the signing work off that thread (measured
 * in test/bench/pipeline.bench.ts).
 *
 * Rules kept here: a nonce is used once (its record is zeroed as it is taken); when the pool is
 * empty or the worker is gone, trySign returns undefined and the caller signs with node:crypto;
 * one signature in SELF_CHECK_EVERY is verified with node:crypto, and a failure switches
 * presigning off for good (counted). Big-integer arithmetic in JavaScript is not constant-time
 * (the same holds for @noble/curves); keys that matter live in the TPM.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { p256 } from '@noble/curves/nist.js';
import { sha256Hex } from '../encoding/cose-key.ts';
import { spawnWorker } from '../workers/spawn.ts';
import { bytesToScalar, scalarInto } from './scalar.ts';
import type { NonceBatch } from './nonce-worker.ts';

const N = p256.Point.Fn.ORDER;
const HALF_N = N >> 1n;
const SELF_CHECK_EVERY = 1024;

export interface PresignStats {
  presigned: number;
  /** Signatures made by node:crypto because no nonce was ready. */
  fallback: number;
  /** Self-checks that failed (presigning then stops). */
  selfCheckFailures: number;
  workerErrors: number;
}

export class Presigner {
  private worker: Worker | undefined;
  private batches: NonceBatch[] = [];
  private offset = 0;
  private requested = false;
  private disabled = false;
  private readonly publicKey: KeyObject;
  readonly stats: PresignStats = { presigned: 0, fallback: 0, selfCheckFailures: 0, workerErrors: 0 };

  constructor(
    privateScalar: Uint8Array,
    key: KeyObject,
    private readonly opts: { batch?: number; keepBatches?: number; onError?: (e: Error) => void } = {},
  ) {
    this.publicKey = createPublicKey(key);
    const d = new Uint8Array(privateScalar);
    this.worker = spawnWorker(new URL('./nonce-worker.ts', import.meta.url), { d });
    this.worker.unref();
    this.worker.on('message', (b: NonceBatch) => {
      this.requested = false;
      this.batches.push(b);
      this.refill();
    });
    this.worker.on('error', (e) => {
      this.stats.workerErrors++;
      this.worker = undefined;
      this.opts.onError?.(e);
    });
    this.worker.on('exit', () => (this.worker = undefined));
    this.refill();
  }

  /** How many nonces are ready. */
  get ready(): number {
    let n = 0;
    for (const b of this.batches) n += b.kinv.length;
    return n - this.offset;
  }

  private refill(): void {
    if (this.requested || !this.worker || this.disabled) return;
    if (this.batches.length >= (this.opts.keepBatches ?? 8)) return;
    this.requested = true;
    this.worker.postMessage({ want: this.opts.batch ?? 512 });
  }

  /** Resolves once at least `n` nonces are ready (tests and benchmarks). */
  async whenReady(n: number): Promise<void> {
    while (this.ready < n && this.worker && !this.disabled) await new Promise((r) => setTimeout(r, 5));
  }

  /** r || s (low-S) over `message`, or undefined when no precomputed nonce is ready. */
  trySign(message: Uint8Array): Uint8Array | undefined {
    if (this.disabled) return undefined;
    const z = BigInt('0x' + sha256Hex(message)) % N;
    for (;;) {
      const batch = this.batches[0];
      if (!batch) {
        this.stats.fallback++;
        this.refill();
        return undefined;
      }
      const i = this.offset++;
      const kinv = batch.kinv[i]!;
      const t = batch.t[i]!;
      const out = new Uint8Array(64);
      out.set(batch.r.subarray(32 * i, 32 * i + 32), 0);
      // Used once: the record is cleared as it is taken.
      batch.kinv[i] = 0n;
      batch.t[i] = 0n;
      batch.r.fill(0, 32 * i, 32 * i + 32);
      if (this.offset >= batch.kinv.length) {
        this.batches.shift();
        this.offset = 0;
        this.refill();
      } else if (this.batches.length < 2) this.refill();
      if (kinv === 0n) continue; // a cleared record: never sign with it
      let s = (kinv * z + t) % N;
      if (s === 0n) continue; // FIPS 186-5 §6.4.1: choose another k
      if (s > HALF_N) s = N - s;
      scalarInto(out, 32, s);
      this.stats.presigned++;
      if (this.stats.presigned % SELF_CHECK_EVERY === 1 && !cryptoVerify('sha256', message, { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, out)) {
        this.stats.selfCheckFailures++;
        this.disabled = true;
        this.opts.onError?.(new Error('a presigned signature failed its self-check; presigning is off'));
        return undefined;
      }
      return out;
    }
  }

  async close(): Promise<void> {
    this.disabled = true;
    for (const b of this.batches) {
      b.r.fill(0);
      b.kinv.fill(0n);
      b.t.fill(0n);
    }
    this.batches = [];
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

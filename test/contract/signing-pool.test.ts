/**
 * The SigningPool (agent/signing/signing-pool.ts): batches signed with node:crypto, in order,
 * each signature accepted by an independent verifier (@noble/curves) and low-S; no thread
 * while batches are small, threads started for a big batch and stopped once idle; a signature
 * damaged anywhere in a batch is caught by the self-check and replaced by a good one (counted),
 * and one that cannot be made good refuses the whole batch (with the default sampled check of
 * threaded batches: a fault on every signature is caught whole, a persistent one refuses the
 * batch, and a caught fault has the next batches checked in full); a signing thread that dies fails
 * its batch with a coded error and the next batch is signed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { generateKeyPairSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { SigningPool, type SigningPoolOptions } from '../../agent/signing/signing-pool.ts';
import { SoftwareSigner } from '../../agent/signing/software-signer.ts';
import { isLowS, verifyEs256 } from '../../agent/signing/p256.ts';
import { seededRandom } from '../support/prng.ts';

const pools: SigningPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

function setup(o: SigningPoolOptions = {}): { pool: SigningPool; pub: Uint8Array } {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const jwk = key.export({ format: 'jwk' });
  const pub = Uint8Array.from([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
  const pool = new SigningPool(key, o);
  pools.push(pool);
  return { pool, pub };
}

const messages = (n: number, tag = 'm'): Uint8Array[] => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${tag} ${i} ${'x'.repeat(i % 300)}`));

/** Index of every signature that does not verify (noble: hashes the message, low-S only). */
function bad(sigs: Uint8Array[], msgs: Uint8Array[], pub: Uint8Array): number[] {
  return sigs.flatMap((s, i) => (s.length === 64 && isLowS(s) && p256.verify(s, msgs[i]!, pub) ? [] : [i]));
}

describe('SigningPool', () => {
  it('signs a big batch across threads, signatures in message order, every one verified independently', async () => {
    const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 64, check: 'all' });
    const msgs = messages(300);
    const sigs = await pool.signMany(msgs);
    expect(sigs).toHaveLength(300);
    expect(bad(sigs, msgs, pub)).toEqual([]);
    // Signature i is for message i, not another of the batch.
    expect(p256.verify(sigs[1]!, msgs[0]!, pub)).toBe(false);
    expect(pool.stats).toMatchObject({ threads: 2, checked: 300 });
  });

  it('leaves the calling thread free while its threads sign a big batch', async () => {
    const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 64 });
    await pool.signMany(messages(128, 'warm-up'));
    const msgs = messages(3000, 'shared');
    // The calling thread's event loop keeps turning while 3,000 signatures are made elsewhere.
    let turns = 0;
    let done = false;
    const spin = (): void => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const sigs = await pool.signMany(msgs);
    done = true;
    expect(sigs.filter((s, i) => !verifyEs256(s, msgs[i]!, pub))).toEqual([]);
    expect(turns).toBeGreaterThan(20);
    expect(pool.stats.pooled).toBe(3128);
  });

  it('signs small batches on the calling thread: no thread is started while the load does not need one', async () => {
    const { pool, pub } = setup({ inlineBelow: 64 });
    for (let k = 0; k < 20; k++) {
      const msgs = messages(1 + (k % 63), `small ${k}`);
      expect(bad(await pool.signMany(msgs), msgs, pub)).toEqual([]);
    }
    expect(pool.stats.threads).toBe(0);
    expect(pool.stats.pooled).toBe(0);
  });

  it('stops its threads once idle, and starts them again under load', async () => {
    const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 32, idleMs: 200 });
    await pool.signMany(messages(128));
    expect(pool.stats.threads).toBe(2);
    await new Promise((r) => setTimeout(r, 500));
    expect(pool.stats.threads).toBe(0);
    const msgs = messages(64, 'again');
    expect(bad(await pool.signMany(msgs), msgs, pub)).toEqual([]);
    expect(pool.stats.threads).toBe(2);
  });

  it.each([
    ['in a batch shared with the threads, checking all', 200, 'all' as const],
    ['in a small batch, on the calling thread, with the default check', 20, undefined],
  ])('catches a signature damaged anywhere in a batch (%s) and returns a good one in its place', async (_where, n, check) => {
    const rnd = seededRandom(n);
    for (let round = 0; round < 3; round++) {
      const target = Math.floor(rnd() * n);
      const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 64, check, faults: (i, attempt) => i === target && attempt === 0 });
      const msgs = messages(n, `round ${round}`);
      const sigs = await pool.signMany(msgs);
      expect(bad(sigs, msgs, pub)).toEqual([]);
      expect(pool.errors.get('SIGN_SELF_CHECK_FAILED')).toBe(1);
      expect(pool.stats).toMatchObject({ repaired: 1, refusedBatches: 0 });
    }
  });

  it('refuses the whole batch when a damaged signature cannot be made good', async () => {
    const { pool } = setup({ maxThreads: 2, inlineBelow: 64, check: 'all', faults: (i) => i === 137 });
    await expect(pool.signMany(messages(300))).rejects.toMatchObject({ code: 'SIGN_SELF_CHECK_FAILED' });
    expect(pool.errors.get('SIGN_SELF_CHECK_FAILED')).toBe(1);
    expect(pool.stats).toMatchObject({ repaired: 0, refusedBatches: 1 });
  });

  it('by default checks one in 8 of a threaded batch and every signature of a small one', async () => {
    const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 64 });
    const msgs = messages(400);
    expect(bad(await pool.signMany(msgs), msgs, pub)).toEqual([]);
    expect(pool.stats.checked).toBe(50);
    const few = messages(40, 'few');
    expect(bad(await pool.signMany(few), few, pub)).toEqual([]);
    expect(pool.stats.checked).toBe(90);
  });

  it('with the sampled check, a fault on every signature is caught whole: the first one caught has the batch checked in full, then the next batches too', async () => {
    let faulty = true;
    const { pool, pub } = setup({ maxThreads: 2, inlineBelow: 64, faults: (_i, attempt) => faulty && attempt === 0 });
    const msgs = messages(300);
    expect(bad(await pool.signMany(msgs), msgs, pub)).toEqual([]);
    expect(pool.stats).toMatchObject({ repaired: 300, refusedBatches: 0, checked: 300 });
    faulty = false;
    const next = messages(300, 'next');
    expect(bad(await pool.signMany(next), next, pub)).toEqual([]);
    expect(pool.stats.checked).toBe(600);
  });

  it('with the sampled check, a persistent fault refuses the batch: no signature of it is returned', async () => {
    const { pool } = setup({ maxThreads: 2, inlineBelow: 64, faults: () => true });
    await expect(pool.signMany(messages(300))).rejects.toMatchObject({ code: 'SIGN_SELF_CHECK_FAILED' });
    expect(pool.stats.refusedBatches).toBe(1);
  });

  it('fails the batch of a thread that dies with SIGN_WORKER_FAILED, and signs the next batch', async () => {
    const { pool, pub } = setup({ maxThreads: 1, inlineBelow: 16 });
    await pool.signMany(messages(32));
    const worker = (pool as unknown as { threads: { worker: Worker }[] }).threads[0]!.worker;
    // Killed as the batch is handed over: the pool learns of it only when the thread has gone.
    const killed = worker.terminate();
    const doomed = pool.signMany(messages(64, 'doomed'));
    await killed;
    await expect(doomed).rejects.toMatchObject({ code: 'SIGN_WORKER_FAILED' });
    const msgs = messages(64, 'after');
    expect(bad(await pool.signMany(msgs), msgs, pub)).toEqual([]);
  });
});

describe('SoftwareSigner.signMany', () => {
  it('signs through its pool with the signer key', async () => {
    const s = SoftwareSigner.generate();
    try {
      s.configurePool({ maxThreads: 2, inlineBelow: 16 });
      const msgs = messages(100);
      expect(bad(await s.signMany(msgs), msgs, await s.publicKey())).toEqual([]);
      expect(s.signingPool!.stats.threads).toBe(2);
    } finally {
      await s.close();
    }
  });
});

/**
 * A start that fails while the epoch rises (agent/runtime/start-epoch.ts) loses nothing and does
 * not lock the device out: the store's write failing (disk full) leaves the state directory as
 * it was and the next start begins the chain at seq 1; an increment that fails without raising
 * the counter likewise; one whose counter did rise keeps the store that witnesses it, and the
 * next start continues on it rather than being refused as STORE_CHAIN_MISSING. Each run is
 * assembled the way boot.ts does it (assemble: store footprint, chain head record, file epoch
 * counter, publisher) around a key from a test authority, with no broker reachable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { assemble, type Running } from '../../agent/runtime/boot.ts';
import { ChainMarker } from '../../agent/runtime/chain-marker.ts';
import { FileEpochCounter } from '../../agent/signing/file-epoch.ts';
import { ObservationStore, StoreError } from '../../agent/store/store.ts';
import { ObservationChain, type SignedObservation } from '../../agent/lineage/observation.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { NO_BROKER } from '../support/chain-agent.ts';
import { NOW, PLACE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'pa-start-epoch-'));
let authority: Chain;
let n = 0;
beforeAll(async () => {
  authority = await makeChain();
});
afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir` with its SHA-256 (SQLite's shared-memory index aside: every opener rebuilds it). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (name.endsWith('-shm')) continue;
    out[name] = statSync(p).isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
  }
  return out;
}

/** A state directory holding only what provisioning leaves there before the first run. */
function stateDir(): string {
  const dir = join(root, `state-${++n}`);
  mkdirSync(join(dir, 'trust'), { recursive: true });
  return dir;
}

interface Run {
  running: Running;
  committed: SignedObservation[];
}

/** One start the way boot.ts assembles it; `epoch` replaces the state directory's file counter. */
async function start(dir: string, epoch = new FileEpochCounter(join(dir, 'epoch'))): Promise<Run> {
  const committed: SignedObservation[] = [];
  const running = await assemble({
    storePath: join(dir, 'agent.db'),
    place: PLACE,
    identity: identityOf(authority),
    signer: authority.leaf.signer,
    epoch,
    sources: [],
    anchors: [authority.anchor],
    clock: new ManualClock(NOW * 1000),
    logger: silentLogger,
    mqtt: { url: NO_BROKER, clientId: `start-epoch-${n}`, protocolVersion: 5 },
    envelope: { intervalMs: 60_000 },
    presence: { holdMs: 4000 },
    checkpoint: { every: 100_000, intervalMs: 3_600_000 },
    timeQuality: () => ({ src: 'rtc', sync: false, errMs: 2000 }),
    chainMarker: new ChainMarker(join(dir, 'chain-head.json')),
    onObservation: (o) => committed.push(o),
  });
  return { running, committed };
}

/** Starts, waits for the start's own status observation, stops; returns what was committed. */
async function runOnce(dir: string): Promise<SignedObservation[]> {
  const { running, committed } = await start(dir);
  try {
    await waitFor(() => committed.length > 0, 10_000, 'the started status observation');
  } finally {
    await running.stop();
  }
  return committed;
}

const epochFile = (dir: string): string => readFileSync(join(dir, 'epoch'), 'utf8').trim();

describe('a start that fails while its epoch rises', () => {
  it('when the store cannot record the epoch (disk full): the state directory stays as it was, and the next start signs seq 1', async () => {
    const dir = stateDir();
    const before = snapshot(dir);
    vi.spyOn(ObservationStore.prototype, 'setEpoch').mockImplementationOnce(() => {
      throw new StoreError('STORE_FULL', 'disk full writing agent.db (injected)', {});
    });
    await expect(start(dir)).rejects.toMatchObject({ code: 'STORE_FULL' });
    // The counter did not rise and the new database is gone: nothing to witness, nothing left over.
    expect(existsSync(join(dir, 'epoch'))).toBe(false);
    expect(snapshot(dir)).toEqual(before);

    const committed = await runOnce(dir);
    expect(committed[0]!.seq).toBe(1);
    expect(committed[0]!.kind).toBe('status');
    expect(committed[0]!.epoch).toBe(1n);
    expect(epochFile(dir)).toBe('1');
  }, 60_000);

  it('when the counter fails without rising: the state directory stays as it was, and the next start signs seq 1', async () => {
    const dir = stateDir();
    const before = snapshot(dir);
    vi.spyOn(FileEpochCounter.prototype, 'increment').mockRejectedValueOnce(new Error('counter unavailable (injected)'));
    await expect(start(dir)).rejects.toThrow(/injected/);
    expect(snapshot(dir)).toEqual(before);

    const committed = await runOnce(dir);
    expect(committed[0]!.seq).toBe(1);
    expect(committed[0]!.epoch).toBe(1n);
  }, 60_000);

  it('when the counter rose but its answer was lost: the store that witnesses the rise stays, and the next start continues at seq 1 above it', async () => {
    const dir = stateDir();
    const real = FileEpochCounter.prototype.increment;
    // A TPM command whose response never arrived: the counter has risen, the caller sees a failure.
    vi.spyOn(FileEpochCounter.prototype, 'increment').mockImplementationOnce(async function (this: FileEpochCounter) {
      await real.call(this);
      throw new Error('response lost after the counter rose (injected)');
    });
    await expect(start(dir)).rejects.toThrow(/injected/);
    expect(epochFile(dir)).toBe('1');
    expect(existsSync(join(dir, 'agent.db'))).toBe(true);

    const committed = await runOnce(dir);
    expect(committed[0]!.seq).toBe(1);
    expect(committed[0]!.epoch).toBe(2n);
    expect(epochFile(dir)).toBe('2');
  }, 60_000);

  it('when the counter jumps (a TPM NV counter first written) and the start then fails: the store records the jump, and the next start continues', async () => {
    const dir = stateDir();
    const file = new FileEpochCounter(join(dir, 'epoch'));
    // Reads 0, then its first increment gives 57: what a new NV counter does on a TPM whose counters had counted before.
    const jumping = Object.assign(Object.create(file) as FileEpochCounter, {
      increment: async () => {
        while ((await file.read()) < 56n) await file.increment();
        return file.increment();
      },
      read: async () => ((await file.read()) >= 56n ? file.read() : 0n),
    });
    vi.spyOn(ObservationChain.prototype, 'prime').mockRejectedValueOnce(new Error('signer failed after the rise (injected)'));
    await expect(start(dir, jumping)).rejects.toThrow(/injected/);
    expect(epochFile(dir)).toBe('57');

    const committed = await runOnce(dir);
    expect(committed[0]!.seq).toBe(1);
    expect(committed[0]!.epoch).toBe(58n);
  }, 60_000);
});

/**
 * Where the composition root puts the MQTT publisher (agent/runtime/boot.ts buildPublisher): on
 * the agent's own thread by default, so a gateway runs one isolate less (about 20 MB); in a
 * worker thread of its own only when `mqtt.publisherThread` asks for it. Seen as an operator
 * sees it: the process's thread count (/proc/self/task, what `ps -o nlwp` reads).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPublisher } from '../../agent/runtime/boot.ts';
import { ObservationStore } from '../../agent/store/store.ts';
import { silentLogger } from '../../core/log.ts';
import { waitFor } from './agent-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'pa-publisher-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// libuv starts its thread pool at the first asynchronous file operation: started here, so it is
// not counted as the publisher's.
beforeAll(async () => void (await readFile(import.meta.filename)));

const threads = (): number => readdirSync('/proc/self/task').length;
// Nothing listens on port 1: the publisher keeps trying, which is all these cases need.
const mqtt = { url: 'mqtt://127.0.0.1:1', clientId: 'publisher-thread-test', protocolVersion: 5 as const };

describe('buildPublisher', () => {
  it('publishes from the calling thread unless a worker is asked for', async () => {
    const store = new ObservationStore(join(dir, 'inline', 'agent.db'));
    const before = threads();
    const pub = buildPublisher(store, 'urn:place:TEST:thread:1', mqtt, silentLogger, () => ({}));
    pub.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(threads()).toBe(before);
    await pub.stop();
    store.close();
  });

  it('starts one worker thread with mqtt.publisherThread, and it ends with the publisher', async () => {
    const store = new ObservationStore(join(dir, 'threaded', 'agent.db'));
    const before = threads();
    const pub = buildPublisher(store, 'urn:place:TEST:thread:2', { ...mqtt, thread: true }, silentLogger, () => ({}));
    pub.start();
    await waitFor(() => threads() === before + 1, 10_000, 'the publisher worker thread');
    await pub.stop();
    await waitFor(() => threads() === before, 10_000, 'the worker thread to end');
    store.close();
  });

  it('never puts a store in memory behind a worker (a second connection would see another database)', async () => {
    const store = new ObservationStore(':memory:');
    const before = threads();
    const pub = buildPublisher(store, 'urn:place:TEST:thread:3', { ...mqtt, thread: true }, silentLogger, () => ({}));
    pub.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(threads()).toBe(before);
    await pub.stop();
    store.close();
  });
});

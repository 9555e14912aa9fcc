/**
 * Starts a TypeScript worker module through agent/workers/entry.mjs (which registers tsx in
 * the worker), passing it `data` as workerData.data.
 */
import { Worker } from 'node:worker_threads';

export function spawnWorker(module: URL, data: unknown, transferList: Transferable[] = []): Worker {
  return new Worker(new URL('./entry.mjs', import.meta.url), {
    workerData: { module: module.href, data },
    transferList: transferList as never,
  });
}

/**
 * Starts a worker module, passing it `data` as workerData.data. Callers name the module by its
 * source URL (`new URL('./x-worker.ts', import.meta.url)`). Compiled (this file is .js in
 * dist/), the worker is the compiled `.js` beside it and needs no loader. Run from sources
 * (tests, `npm run dev`), a worker does not inherit the main thread's module hooks, so it
 * starts in entry.mjs, which registers tsx and then imports the module.
 */
import { Worker } from 'node:worker_threads';

const fromSources = import.meta.url.endsWith('.ts');

export function spawnWorker(module: URL, data: unknown, transferList: Transferable[] = []): Worker {
  if (!fromSources) {
    const compiled = new URL(module.href.replace(/\.ts$/, '.js'));
    return new Worker(compiled, { workerData: { data }, transferList: transferList as never });
  }
  return new Worker(new URL('./entry.mjs', import.meta.url), {
    workerData: { module: module.href, data },
    transferList: transferList as never,
  });
}

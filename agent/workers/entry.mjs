// Worker bootstrap: a worker does not inherit the main thread's module hooks, so register the
// TypeScript loader here, then load the worker module named by the parent.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);

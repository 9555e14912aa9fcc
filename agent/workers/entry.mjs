// Worker bootstrap when the agent runs from TypeScript sources (tests, `npm run dev`): a worker
// does not inherit the main thread's module hooks, so register tsx here, then load the worker
// module named by the parent. The compiled agent (dist/) starts its workers directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);

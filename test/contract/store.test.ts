import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservationStore } from '../../agent/store/store.ts';
import { storeContract } from './store.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'place-store-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('ObservationStore (SQLite file, WAL)', () => new ObservationStore(join(dir, `db-${++n}`, 'agent.db')));
storeContract('ObservationStore (in memory)', () => new ObservationStore(':memory:'));

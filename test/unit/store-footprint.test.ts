/**
 * What a refused start leaves behind (agent/store/store-footprint.ts): a store opened under
 * directories that did not exist, then undone, leaves the parent as it was, every level the
 * start created removed; a level that meanwhile holds something else stays, with everything
 * above it; a database that existed is never touched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObservationStore } from '../../agent/store/store.ts';
import { storeFootprint } from '../../agent/store/store-footprint.ts';

const root = mkdtempSync(join(tmpdir(), 'pa-footprint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const parent = (): string => {
  const p = join(root, `case-${++n}`);
  mkdirSync(p);
  return p;
};

/** Opens (creating) the store the way assemble does, then closes it as a refused start does. */
function openAndClose(path: string): void {
  new ObservationStore(path, { exclusive: true }).close();
}

describe('storeFootprint', () => {
  it('removes every directory level the store created, and nothing above them', () => {
    const base = parent();
    writeFileSync(join(base, 'device.key'), 'kept');
    const path = join(base, 'var', 'lib', 'db', 'agent.db');
    const footprint = storeFootprint(path);
    expect(footprint.existed).toBe(false);
    openAndClose(path);
    expect(existsSync(path)).toBe(true);
    footprint.undo();
    expect(readdirSync(base)).toEqual(['device.key']);
  });

  it('stops at a level that holds something else, keeping it and the levels above', () => {
    const base = parent();
    const path = join(base, 'var', 'lib', 'db', 'agent.db');
    const footprint = storeFootprint(path);
    openAndClose(path);
    writeFileSync(join(base, 'var', 'lib', 'other.txt'), 'not the store');
    footprint.undo();
    expect(existsSync(join(base, 'var', 'lib', 'db'))).toBe(false);
    expect(readdirSync(join(base, 'var', 'lib'))).toEqual(['other.txt']);
    expect(readdirSync(base)).toEqual(['var']);
  });

  it('leaves a database that existed before, and its directory, alone', () => {
    const base = parent();
    const path = join(base, 'db', 'agent.db');
    openAndClose(path);
    const before = readdirSync(join(base, 'db')).sort();
    const footprint = storeFootprint(path);
    expect(footprint.existed).toBe(true);
    openAndClose(path);
    footprint.undo();
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(join(base, 'db')).sort()).toEqual(before);
  });
});

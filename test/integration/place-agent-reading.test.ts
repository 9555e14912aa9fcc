/**
 * The agent's reading callback runs inside every driver's read path: when handling a reading
 * throws (a bug on some input), the reading is dropped, READING_FAILED is counted and logged
 * with its source, nothing unwinds into the driver, and the next reading is handled as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedLog } from '../support/captured-log.ts';
import type { Reading } from '../../core/reading.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { NOW, makeChain } from '../unit/authority-fixture.ts';

describe('PlaceAgent.onReading when handling a reading throws', () => {
  let dir: string;
  let running: ChainAgent;
  const { lines, logger } = capturedLog();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-reading-'));
    const chain = await makeChain([{}, { level: 'authority', depth: 1 }, {}]);
    const clock = { now: () => NOW * 1000 };
    running = chainAgent({ chain, db: join(dir, 'agent.db'), clock, clientId: 'reading', logger });
    await running.agent.start();
  });

  afterAll(async () => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops that reading, counts READING_FAILED, logs it with the source and handles the next one', () => {
    const agent = running.agent as unknown as { router: { route: (r: Reading) => unknown }; errors: { get(code: string): number } };
    const route = agent.router.route.bind(agent.router);
    let calls = 0;
    agent.router.route = (r) => {
      calls++;
      if (calls === 1) throw new TypeError('router bug');
      return route(r);
    };
    const reading = (value: number): Reading => ({ source: 'radar', modality: 'range', t: NOW * 1000, value, quality: { ok: true } });
    expect(() => running.agent.onReading(reading(4.2))).not.toThrow();
    expect(agent.errors.get('READING_FAILED')).toBe(1);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ code: 'READING_FAILED', source: 'radar', error: { name: 'TypeError' } });
    running.agent.onReading(reading(4.3));
    expect(calls).toBe(2);
    expect(agent.errors.get('READING_FAILED')).toBe(1);
  });
});

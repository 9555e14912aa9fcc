/**
 * An observation the log refuses is counted once, where the refusal happened: a draft too large
 * to sign (OBS_TOO_LARGE) under component `log`, not again under `agent`, so an operator summing
 * place_agent_errors_total over components sees one refusal, not two. A real PlaceAgent in this
 * process (test/support/chain-agent.ts); the refused draft's seq is taken by a signed `gap`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { NOW, makeChain } from '../unit/authority-fixture.ts';

const t0 = performance.now();
const clock: Clock = { now: () => Math.floor(NOW * 1000 + (performance.now() - t0)) };

describe('a refused observation', () => {
  let dir: string;
  let running: ChainAgent;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-refusal-count-'));
    running = chainAgent({ chain: await makeChain([{}, { level: 'authority', depth: 1 }, {}]), db: join(dir, 'agent.db'), clock, clientId: 'refusal-count', envelopeMs: 3_600_000 });
    await running.agent.start();
  });
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is counted by the log alone, and a gap takes its seq', async () => {
    // About 30 KB of body: over the 16 KiB every verifier accepts (DESIGN.md, wire contract v1).
    const body = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`note_${i}`, 'x'.repeat(100)]));
    const refused = await running.agent.emit({ kind: 'status', body });
    expect(refused).toBeUndefined();
    await waitFor(() => running.committed.some((o) => o.kind === 'gap'), 15_000, 'the gap in the refused draft seq');
    expect(running.agent.log.errors.snapshot()).toMatchObject({ OBS_TOO_LARGE: 1 });
    expect(running.agent.errors.snapshot()).not.toHaveProperty('OBS_TOO_LARGE');
  }, 60_000);
});

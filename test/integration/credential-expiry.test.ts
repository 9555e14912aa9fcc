/**
 * A credential that expires while the agent runs: from its expiry on, anything the agent signed
 * would fail every verifier, so it signs nothing (each refusal counted as
 * CREDENTIAL_EXPIRED_SILENT) and /status.json says why; a renewed credential picked up without a
 * restart resumes the same chain, and everything on it verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { agentStatusPort } from '../../agent/runtime/status-port.ts';
import { issueCredential } from '../../agent/authority/credential.ts';
import { ObservationVerifier } from '../../agent/verify/observation-verifier.ts';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import { plain } from '../support/place-gateway.ts';
import { waitFor } from '../../hil/agent-cli.ts';
import { chainAgent, type ChainAgent } from '../support/chain-agent.ts';
import { DAY, NOW, WIDE, identityOf, makeChain, type Chain } from '../unit/authority-fixture.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (cond: () => boolean, what: string) => waitFor(cond, 15_000, what);

describe('a credential expiring while the agent runs', () => {
  let dir: string;
  let site: Chain;
  let running: ChainAgent;
  // The agent's clock, moved forward by the test: the leaf expires one day after NOW.
  let skewMs = 0;
  const t0 = performance.now();
  const clock: Clock = { now: () => Math.floor(NOW * 1000 + skewMs + (performance.now() - t0)) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-expiry-'));
    site = await makeChain([{}, { level: 'authority', depth: 1 }, { notAfter: NOW + DAY }]);
    running = chainAgent({ chain: site, db: join(dir, 'agent.db'), clock, clientId: 'expiry', trustDir: join(dir, 'trust') });
    await running.agent.start();
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs nothing once expired, says why in status, and resumes the chain on a renewed credential', async () => {
    const { agent, store, committed: seen } = running;
    await until(() => seen.length > 3, 'envelopes before expiry');
    const status = () => agentStatusPort(agent, store, agent.publisher, {}).trust();
    expect(status().expired).toBe(false);

    skewMs = 2 * DAY * 1000;
    await agent.trust.credential.checkExpiry();
    await sleep(300); // an envelope tick already under way may still commit
    const atExpiry = seen.length;
    await sleep(1000);
    expect(seen.length).toBe(atExpiry); // ten envelope ticks, none signed
    expect(agent.errors.snapshot().CREDENTIAL_EXPIRED_SILENT ?? 0).toBeGreaterThan(3);
    expect(status().expired).toBe(true);

    // Renewed by the gateway's authority for the same key, valid at the moved clock.
    const renewed = await issueCredential(
      {
        issuer: 'urn:authority:1',
        subject: identityOf(site).iss,
        subjectKey: await site.leaf.signer.publicKey(),
        scope: WIDE,
        notBefore: NOW - DAY,
        notAfter: NOW + 20 * DAY,
        now: NOW + 2 * DAY,
        depth: 0,
        level: 'gateway',
        parentBytes: site.links[1]!.bytes,
      },
      site.links[1]!.signer,
    );
    expect(await agent.trust.credential.renew(renewed, site.parents)).toBe(true);
    await until(() => seen.length > atExpiry + 3, 'envelopes after renewal');
    expect(status().expired).toBe(false);

    // Every observation verifies at its own time, as one chain with no gap.
    const verifier = new ObservationVerifier([site.anchor]);
    const lineage = new LineageVerifier();
    const bodies: Record<string, unknown>[] = [];
    for (const o of seen) {
      const r = verifier.check(o.bytes);
      if (!r.ok) expect.fail(`seq ${o.seq}: ${r.code} ${r.reason}`);
      expect(lineage.add(r.claims, r.hash)).toEqual([]);
      if (r.claims.kind === 'status') bodies.push(plain(r.claims.body) as Record<string, unknown>);
    }
    expect(seen.map((o) => o.seq)).toEqual(seen.map((_, i) => seen[0]!.seq + i));
    expect(bodies.filter((b) => b.event === 'credential-renewed')).toHaveLength(1);
  }, 60_000);
});

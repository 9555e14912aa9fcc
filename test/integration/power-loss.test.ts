/**
 * Power loss: the agent as a child process, SIGKILLed in the middle of a burst at random
 * points, ten times. After each kill the committed chain has no gap, fork or duplicate seq and
 * verifies; at the end every committed observation has reached a real broker (mosquitto).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { storedObservations } from '../support/stored-observations.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { spawnAgent, waitFor } from './agent-process.ts';
import { loadTrustAnchor } from '../../agent/authority/authority-dir.ts';
import { ObservationVerifier, parseObservationClaims } from '../../agent/verify/observation-verifier.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { LineageVerifier } from '../../agent/verify/lineage-verifier.ts';
import { seededRandom as mulberry32 } from '../support/prng.ts';
import { keptDatabase } from '../support/kept-database.ts';

const PLACE = 'urn:place:DEMO:berth:1';


function committedCount(dbPath: string): number {
  if (!existsSync(dbPath)) return 0;
  const db = keptDatabase(dbPath, { readonly: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'observations'").get()) return 0;
    return (db.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function committedChain(dbPath: string): { seq: number; bytes: Uint8Array; epoch: number }[] {
  if (!existsSync(dbPath)) return [];
  return storedObservations(dbPath).map((r) => ({ seq: r.seq, bytes: r.bytes, epoch: r.epoch }));
}

describe('power loss (SIGKILL mid-burst)', () => {
  let broker: Mosquitto;
  let dir: string;
  const received = new Map<number, number>();
  let sub: mqtt.MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'pa-powerloss-'));
    sub = await mqtt.connectAsync(broker.url, { clientId: 'powerloss-observer', clean: true, reconnectPeriod: 200 });
    await sub.subscribeAsync(`pm/v1/${PLACE}/#`, { qos: 1 });
    sub.on('message', (topic, payload) => {
      // The status topic carries both the JSON birth/will and signed `status` observations (0xd2 = tag 18).
      if (topic.includes('/grants/') || payload[0] !== 0xd2) return;
      // Signatures are checked on the committed chain below; here only which seqs arrived.
      const c = parseObservationClaims(decodeSign1(new Uint8Array(payload)).payload);
      if (typeof c !== 'string') received.set(c.seq, (received.get(c.seq) ?? 0) + 1);
    });
  });

  afterAll(async () => {
    await sub?.endAsync();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one unbroken, verifiable chain across 10 kills and delivers every committed observation', async () => {
    const rand = mulberry32(20261122);
    const db = join(dir, 'agent.db');
    let lastHead = 0;
    let lastEpoch = 0;
    let verifier: ObservationVerifier | undefined;
    const lineage = new LineageVerifier();
    let headHash = '';
    const args = ['run', '--embedded', '--state', dir, '--broker', broker.url, '--quiet', '--metrics', 'off', '--envelope-interval-ms', '2'];
    for (let round = 0; round < 10; round++) {
      const a = spawnAgent(args);
      await waitFor(() => committedCount(db) > lastHead + 20 || a.proc.exitCode !== null, 20_000, 'the agent to commit a burst');
      expect(a.proc.exitCode, a.stderr()).toBeNull();
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 400)));
      a.proc.kill('SIGKILL');
      await a.exited;

      const chain = committedChain(db);
      verifier ??= new ObservationVerifier([loadTrustAnchor(join(dir, 'authority', 'anchor.cose'))]);
      chain.forEach((o, i) => expect(o.seq).toBe(i + 1)); // no gap, no duplicate
      // What was committed before this round is untouched (no fork of the durable prefix).
      if (lastHead > 0) expect(Buffer.from(chain[lastHead - 1]!.bytes).toString('hex').slice(-64)).toBe(headHash);
      for (const o of chain.slice(lastHead)) {
        const r = verifier.check(o.bytes);
        expect(r.ok, r.ok ? '' : `${r.code}: ${r.reason}`).toBe(true);
        if (r.ok) expect(lineage.add(r.claims, r.hash)).toEqual([]); // links to the previous round's head
      }
      headHash = Buffer.from(chain[chain.length - 1]!.bytes).toString('hex').slice(-64);
      expect(chain.length).toBeGreaterThan(lastHead);
      // The epoch rose at this start.
      expect(chain[chain.length - 1]!.epoch).toBeGreaterThan(lastEpoch);
      lastHead = chain.length;
      lastEpoch = chain[chain.length - 1]!.epoch;
    }

    // A final clean run drains the outbox; then every committed seq must have reached the broker.
    const last = spawnAgent(['run', '--embedded', '--state', dir, '--broker', broker.url, '--quiet', '--metrics', 'off']);
    await waitFor(() => {
      const d = keptDatabase(db, { readonly: true });
      try {
        return (d.prepare('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n === 0 && committedCount(db) > lastHead;
      } finally {
        d.close();
      }
    }, 30_000, 'the outbox to drain');
    last.proc.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    const final = committedChain(db);
    await waitFor(() => final.every((o) => received.has(o.seq)), 10_000, 'every committed observation at the subscriber').catch(() => undefined);
    const missing = final.filter((o) => !received.has(o.seq)).map((o) => o.seq);
    expect(missing.length > 20 ? `${missing.length} missing, e.g. ${missing.slice(0, 20).join(',')} of ${final.length}` : missing).toEqual([]);
  }, 240_000);
});

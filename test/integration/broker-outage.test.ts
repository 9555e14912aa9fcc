/**
 * Broker outage: a real mosquitto is stopped mid-stream and started again. Everything the
 * agent committed arrives, and after deduplication on (iss, seq) it arrives exactly once and
 * in seq order. The subscriber keeps a persistent session (broker persistence on), as an
 * integrator's consumer would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { storedObservations } from '../support/stored-observations.ts';
import { startMosquitto, type Mosquitto } from '../../hil/mosquitto.ts';
import { spawnAgent, waitFor } from './agent-process.ts';
import { parseObservationClaims } from '../../agent/verify/observation-verifier.ts';
import { decodeSign1 } from '../../agent/encoding/cose-sign1.ts';
import { keptDatabase } from '../support/kept-database.ts';

const PLACE = 'urn:place:DEMO:berth:1';

function dbStats(dbPath: string): { committed: number; pending: number } {
  if (!existsSync(dbPath)) return { committed: 0, pending: 0 };
  const db = keptDatabase(dbPath, { readonly: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").get()) return { committed: 0, pending: 0 };
    const c = (db.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n;
    const p = (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n;
    return { committed: c, pending: p };
  } finally {
    db.close();
  }
}

describe('broker outage', () => {
  let broker: Mosquitto;
  let dir: string;
  const arrivals: { iss: string; seq: number }[] = [];
  let sub: mqtt.MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'pa-outage-'));
    sub = await mqtt.connectAsync(broker.url, { clientId: 'outage-observer', clean: false, reconnectPeriod: 100, protocolVersion: 4 });
    await sub.subscribeAsync(`pm/v1/${PLACE}/#`, { qos: 1 });
    sub.on('message', (topic, payload) => {
      if (topic.includes('/grants/') || payload[0] !== 0xd2) return;
      const c = parseObservationClaims(decodeSign1(new Uint8Array(payload)).payload);
      if (typeof c !== 'string') arrivals.push({ iss: c.iss, seq: c.seq });
    });
  });

  afterAll(async () => {
    await sub?.endAsync(true);
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers everything committed during the outage, in seq order, exactly once after dedup', async () => {
    let atStopSeq = 0;
    let atStartSeq = 0;
    const db = join(dir, 'agent.db');
    const agent = spawnAgent(['run', '--embedded', '--state', dir, '--broker', broker.url, '--quiet', '--metrics', 'off', '--envelope-interval-ms', '20']);
    try {
      await waitFor(() => arrivals.length > 30, 20_000, 'observations to flow');
      await broker.stop();
      const atStop = dbStats(db).committed;
      atStopSeq = atStop;
      // The agent keeps signing and committing while the broker is gone.
      await waitFor(() => dbStats(db).committed > atStop + 100, 20_000, 'commits during the outage');
      expect(dbStats(db).pending).toBeGreaterThan(0);
      await broker.start();
      atStartSeq = dbStats(db).committed;
      // Envelopes keep coming every 20 ms: "drained" means the backlog is gone, not an empty outbox.
      await waitFor(() => dbStats(db).pending < 10 && dbStats(db).committed > atStop + 150, 60_000, 'the backlog to drain after the broker returns');
      agent.proc.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    } finally {
      if (agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    }
    // What shutdown could not get acknowledged in its time stays in the outbox; the next start sends it.
    if (dbStats(db).pending > 0) {
      const again = spawnAgent(['run', '--embedded', '--state', dir, '--broker', broker.url, '--quiet', '--metrics', 'off', '--envelope-interval-ms', '600000']);
      await waitFor(() => dbStats(db).pending === 0, 30_000, 'the rest of the outbox after a restart');
      // Stopped hard once empty, so no further (undelivered) `stopping` observation follows.
      again.proc.kill('SIGKILL');
      await again.exited;
    }
    const committed = dbStats(db).committed;
    await waitFor(() => new Set(arrivals.map((a) => a.seq)).size >= committed, 15_000, 'every committed observation at the subscriber').catch((e: Error) => {
      const got = new Set(arrivals.map((a) => a.seq));
      const missing = Array.from({ length: committed }, (_, i) => i + 1).filter((s) => !got.has(s));
      throw new Error(`${e.message}: ${missing.length} of ${committed} missing, first ${missing.slice(0, 20).join(',')}; stopped at ${atStopSeq}, restarted at ${atStartSeq}`);
    });

    const firstSeen: number[] = [];
    const seen = new Set<string>();
    for (const a of arrivals) {
      const k = `${a.iss}|${a.seq}`;
      if (seen.has(k)) continue;
      seen.add(k);
      firstSeen.push(a.seq);
    }
    // Exactly once after dedup: each seq 1..committed once; in order: first arrivals ascend.
    expect(firstSeen.length).toBe(committed);
    expect(firstSeen).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
  }, 120_000);

  it('under storage pressure drops only superseded envelopes from delivery, and says which in a signed gap', async () => {
    const state = mkdtempSync(join(tmpdir(), 'pa-pressure-'));
    const db = join(state, 'agent.db');
    await broker.stop();
    const agent = spawnAgent(['run', '--embedded', '--state', state, '--broker', broker.url, '--quiet', '--metrics', 'off', '--envelope-interval-ms', '5', '--max-undelivered', '100']);
    try {
      const gaps = () => {
        if (!existsSync(db)) return 0;
        const d = keptDatabase(db, { readonly: true });
        try {
          if (!d.prepare("SELECT 1 FROM sqlite_master WHERE name = 'observations'").get()) return 0;
          return (d.prepare("SELECT COUNT(*) AS n FROM observations WHERE kind = 'gap'").get() as { n: number }).n;
        } finally {
          d.close();
        }
      };
      await waitFor(() => gaps() >= 2, 30_000, 'gap observations under pressure');
      await broker.start();
      // Envelopes keep coming every 5 ms, so "drained" means the backlog is gone, not an empty outbox.
      await waitFor(() => dbStats(db).pending < 20, 60_000, 'the backlog to drain');
      agent.proc.kill('SIGTERM');
      expect(await agent.exited).toBe(0);

      const rows = storedObservations(db).map((r) => ({ ...r, at: r.deliveredAt }));
      const dropped = new Set(rows.filter((r) => r.at === -1).map((r) => r.seq));
      expect(dropped.size).toBeGreaterThan(0);
      expect(rows.filter((r) => r.at === -1).every((r) => r.kind === 'envelope')).toBe(true);
      const declared = new Set<number>();
      for (const r of rows.filter((x) => x.kind === 'gap')) {
        const c = parseObservationClaims(decodeSign1(new Uint8Array(r.bytes)).payload);
        if (typeof c === 'string') throw new Error(c);
        expect(c.body.get('reason')).toBe('superseded-envelope');
        for (const [a, b] of c.body.get('seqs') as [number, number][]) for (let s = a; s <= b; s++) declared.add(s);
      }
      expect([...dropped].every((s) => declared.has(s))).toBe(true);
      expect([...declared].every((s) => dropped.has(s))).toBe(true);
    } finally {
      if (agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
      rmSync(state, { recursive: true, force: true });
    }
  }, 120_000);
});

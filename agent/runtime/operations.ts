/**
 * Operations around a running agent (issue 6): Prometheus metrics, /healthz and /status.json
 * on loopback, and the systemd notify protocol — READY once the pipeline is up, STATUS with a
 * one-line summary, WATCHDOG only while the pipeline, the store and the signer really answer.
 * The composition root (boot.ts) builds the I/O this drives (the metrics server, the notify
 * transport) and says STOPPING through its shutdown.
 */
import type { Logger } from '../../core/log.ts';
import type { Clock } from '../../core/clock.ts';
import type { ErrorCounter } from '../../core/coded-error.ts';
import type { AgentCountedCode } from './errors.ts';
import { AgentMetrics } from '../ops/agent-metrics.ts';
import type { OpsServer, OpsServerOptions } from '../ops/http.ts';
import { buildHealthReport, type ComponentCheck } from '../ops/health.ts';
import type { SdNotifier } from '../ops/sd-notify.ts';
import { Watchdog, componentProbe, pipelineProbe, type ProbeResult } from '../ops/watchdog.ts';
import type { AgentStatus } from '../ops/status.ts';
import type { AgentStatusPort } from './status-port.ts';
import { decodeSign1 } from '../encoding/cose-sign1.ts';
import { parseCredentialClaims } from '../authority/credential.ts';

export interface OperationsOptions {
  /** The running agent as operations may see it (read-only figures and probes). */
  agent: AgentStatusPort;
  clock: Clock;
  logger: Logger;
  brokerUrl: string;
  mode: 'live' | 'simulation';
  /** READY, STATUS and WATCHDOG go here (a notifier over no transport when not under systemd). */
  notifier: SdNotifier;
  /** The watchdog interval systemd expects (WATCHDOG_USEC); undefined runs no watchdog. */
  watchdogTimeoutMs?: number;
  /** Starts the metrics server serving these routes (/metrics, /healthz, /status.json); absent when metrics are off. */
  serve?: (routes: OpsRoutes) => Promise<OpsServer>;
  version?: string;
  /** Silence past this (ms) with sources configured means a wedged pipeline. */
  maxSilenceMs?: number;
  /** The agent's error counter: a watchdog round that fails in itself is counted there. */
  errors?: ErrorCounter<AgentCountedCode>;
}

export type OpsRoutes = Pick<OpsServerOptions, 'registry' | 'health' | 'status'>;

export interface Operations {
  url?: string;
  metrics: AgentMetrics;
  status(): AgentStatus;
  /** Stops the status timer, the watchdog and the metrics server (the notifier is its builder's to close). */
  close(): Promise<void>;
}

export async function startOperations(o: OperationsOptions): Promise<Operations> {
  const { agent, clock } = o;
  const metrics = new AgentMetrics({ version: o.version ?? '0.1.0', startedAtMs: agent.startedAt });
  metrics.watchSources(() => agent.sourceHealth(), () => clock.now());
  metrics.watchSignerSelfCheck(() => agent.signerSelfCheck());
  metrics.watchErrors(() => agent.errors());
  agent.onObservation((ob) => {
    metrics.observationSigned(ob.kind, ob.seq, Number(ob.epoch));
    if (ob.kind === 'suspension') metrics.budgetSuspension('unit');
  });
  metrics.tpmState(agent.signerKind === 'tpm' ? 'ok' : 'software');
  // Every signature the chain makes is timed, not only the watchdog's probe (which runs under systemd alone).
  agent.onSigned((ms) => metrics.signerLatencySeconds(agent.signerKind, ms / 1000));
  let lastProbes: ProbeResult[] = [];
  let reconnectsSeen = 0;

  // Read again at each snapshot: a renewal replaces the credential while the agent runs.
  const credentialStatus = (now: number): AgentStatus['credential'] => {
    const t = agent.trust();
    let c;
    try {
      c = parseCredentialClaims(decodeSign1(agent.credential).payload);
    } catch {
      c = undefined;
    }
    if (!c) return { valid: false, detail: 'unreadable credential' };
    const expiresAt = t.expiresAt ?? c.exp * 1000;
    const revoked = t.revoked ? `revoked (link ${t.revoked.link}) by ${t.revoked.iss}${t.revoked.seq ? `, list ${t.revoked.seq}` : ''}: attesting nothing until a renewed credential is installed` : undefined;
    return {
      valid: !revoked && expiresAt > now,
      subject: c.sub,
      notBefore: c.nbf * 1000,
      expiresAt,
      ...(revoked
        ? { detail: revoked, revoked: true }
        : t.expired
          ? { detail: 'expired: attesting nothing until a renewed credential is installed', expired: true }
          : t.expiring
            ? { detail: 'expires within 7 days: have it renewed', expiring: true }
            : {}),
      renewals: t.renewals,
      revocationLists: t.lists,
    };
  };

  const refresh = (): void => {
    const now = clock.now();
    const { depth, oldestT } = agent.outbox();
    metrics.outbox(depth, oldestT !== undefined ? Math.max(0, (now - oldestT) / 1000) : 0);
    const p = agent.broker().stats;
    metrics.brokerState(p.connected ? 'connected' : 'connecting');
    for (; reconnectsSeen < p.reconnects; reconnectsSeen++) metrics.brokerReconnect();
    const head = agent.head();
    metrics.chainHead(head.seq, Number(head.epoch));
    metrics.timeQuality(agent.timeQuality());
    const t = agent.trust();
    metrics.credential({ ...(t.expiresAt !== undefined ? { expiresInSeconds: Math.round((t.expiresAt - now) / 1000) } : {}), expiring: t.expiring, revoked: t.revoked !== undefined, renewals: t.renewals, lists: t.lists });
  };

  metrics.registry.onCollect(refresh);
  agent.onDelivered((_seq, ms) => metrics.delivered(ms / 1000));

  const status = (): AgentStatus => {
    refresh();
    const now = clock.now();
    const head = agent.head();
    const { depth, oldestT } = agent.outbox();
    const tq = agent.timeQuality();
    return {
      agent: { iss: agent.iss, place: agent.place, version: o.version ?? '0.1.0', startedAt: agent.startedAt, now, pid: process.pid, mode: o.mode },
      sources: agent.sourceHealth(),
      outbox: { depth, ...(oldestT !== undefined ? { oldestUndeliveredAt: oldestT } : {}), broker: agent.broker().connected ? 'connected' : 'connecting', brokerUrl: o.brokerUrl },
      chain: { headSeq: head.seq, epoch: Number(head.epoch), headDigestHex: Buffer.from(head.hash).toString('hex') },
      credential: credentialStatus(now),
      time: { src: tq.src, sync: tq.sync, errMs: tq.errMs },
      signer: { kind: agent.signerKind, state: lastProbes.find((r) => r.name === 'signer')?.ok === false ? 'not answering' : 'ok' },
      probes: lastProbes.map((r) => ({ name: r.name, ok: r.ok, ...(r.detail ? { detail: r.detail } : {}) })),
      errors: agent.errors(),
    };
  };

  const components = (): ComponentCheck[] => [
    ...[agent.broker()].map((b) => ({ name: 'broker', ok: b.connected, ...(b.connected ? {} : { detail: b.stats.lastError ?? 'connecting' }) })),
    ...lastProbes.map((r) => ({ name: r.name, ok: r.ok, ...(r.detail ? { detail: r.detail } : {}) })),
  ];

  const server = await o.serve?.({ registry: metrics.registry, health: () => buildHealthReport(agent.sourceHealth(), components(), clock.now()), status });

  const notifier = o.notifier;
  const summary = (): string => {
    const s = status();
    return `head ${s.chain.headSeq} epoch ${s.chain.epoch}, outbox ${s.outbox.depth}, broker ${s.outbox.broker}, ${s.sources.filter((x) => x.state === 'up').length}/${s.sources.length} sources up`;
  };
  const timer = setInterval(() => void notifier.setStatus(summary()).catch(() => undefined), 10_000);
  const wdTimeout = o.watchdogTimeoutMs;
  let watchdog: Watchdog | undefined;
  const probes = [
    pipelineProbe({ clock, lastActivityAt: () => agent.lastReadingAt(), maxSilenceMs: o.maxSilenceMs ?? 120_000, idleByDesign: () => agent.sourceCount === 0, startedAt: agent.startedAt }),
    componentProbe('store', async () => agent.probeStore()),
    componentProbe('signer', async () => metrics.signerLatencySeconds(agent.signerKind, (await agent.probeSigner()) / 1000)),
  ];
  if (wdTimeout) {
    watchdog = new Watchdog({
      notifier,
      timeoutMs: wdTimeout,
      log: o.logger.child('watchdog'),
      ...(o.errors ? { errors: o.errors } : {}),
      onRound: (round) => {
        lastProbes = round.results;
        metrics.watchdogRound(round);
      },
    });
    for (const p of probes) watchdog.register(p);
    watchdog.start();
  }
  await notifier.ready(summary());
  return {
    ...(server ? { url: server.url } : {}),
    metrics,
    status,
    close: async () => {
      clearInterval(timer);
      watchdog?.stop();
      await server?.close();
    },
  };
}

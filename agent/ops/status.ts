/**
 * What `place-agent status` shows and `/status.json` serves: one snapshot of the running
 * agent, assembled by the runtime from its parts. Times are ms since the Unix epoch.
 */
import type { SourceHealth } from '../../core/reading.ts';

export type TimeSource = 'gnss' | 'ntp' | 'rtc' | 'none';
export type BrokerState = 'connected' | 'connecting' | 'disconnected';

/**
 * The agent's own error counters, apart from the sources' (those are in SourceHealth): `agent`
 * the running agent (grant, acceptance and revocation refusals, credential silence, outbox
 * pressure, failed checkpoints, unreadable credential files, an unwritable trust state), `log`
 * the observation log (LOG_*, OBS_TOO_LARGE), `publisher` the MQTT publisher (MQTT_*), `signer`
 * the software key's signing pool (SIGN_*). Exported as place_agent_errors_total{component, code}.
 */
export type ErrorComponent = 'agent' | 'log' | 'publisher' | 'signer';
/** component -> code -> count; a component or code that never counted is absent. */
export type ComponentErrors = Partial<Record<ErrorComponent, Record<string, number>>>;

export interface SourceStatus extends SourceHealth {
  modality?: string;
  /** The latest Reading, summarised for a human ("53.5461N 9.9661E hdop 0.9"). */
  lastReading?: { t: number; summary: string };
}

export interface AgentStatus {
  agent: {
    iss: string;
    place: string;
    version: string;
    startedAt: number;
    /** When the snapshot was taken; ages on screen are relative to it. */
    now: number;
    pid?: number;
    mode?: 'live' | 'simulation';
  };
  sources: SourceStatus[];
  outbox: {
    depth: number;
    oldestUndeliveredAt?: number;
    lastDeliveredAt?: number;
    broker: BrokerState;
    brokerUrl?: string;
  };
  chain: { headSeq: number; epoch: number; headDigestHex?: string };
  credential: {
    valid: boolean;
    subject?: string;
    notBefore?: number;
    expiresAt?: number;
    detail?: string;
    /** A revocation list revokes it (or a parent): the agent attests nothing. */
    revoked?: boolean;
    /** Within 7 days of expiry. */
    expiring?: boolean;
    expired?: boolean;
    /** Renewed credentials picked up without a restart, and revocation lists held. */
    renewals?: number;
    revocationLists?: number;
  };
  time: { src: TimeSource; sync: boolean; errMs: number; offsetMs?: number };
  signer?: { kind: 'tpm' | 'software'; state: string; lastLatencyMs?: number };
  /** Liveness probe results from the watchdog, when one runs. */
  probes?: Array<{ name: string; ok: boolean; detail?: string }>;
  /** The agent's own error counts (non-zero only); absent from an agent that predates them. */
  errors?: ComponentErrors;
}

/** Delivery lag: how long the oldest undelivered observation has waited, 0 when none waits. */
export function deliveryLagMs(status: AgentStatus): number {
  const oldest = status.outbox.oldestUndeliveredAt;
  return status.outbox.depth > 0 && oldest !== undefined ? Math.max(0, status.agent.now - oldest) : 0;
}

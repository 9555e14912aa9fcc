/**
 * `/healthz`: per-source status plus the liveness probes, healthy only when every source
 * is up (or still starting) and every probe passes. A load balancer or a fleet monitor
 * reads the HTTP status; an operator reads the body.
 */
import type { SourceHealth } from '../../core/reading.ts';

export interface HealthReport {
  healthy: boolean;
  /** "ok", or a one-line list of what is wrong. */
  summary: string;
  checkedAt: number;
  sources: Record<string, {
    state: SourceHealth['state'];
    lastReadingAt?: number;
    /** ms since the last reading, when there was one. */
    ageMs?: number;
    readings: number;
    errors: Record<string, number>;
    discardedBytes: number;
    detail?: string;
  }>;
  components: Record<string, { ok: boolean; detail?: string }>;
}

export interface ComponentCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export function buildHealthReport(sources: readonly SourceHealth[], components: readonly ComponentCheck[], now: number): HealthReport {
  const problems: string[] = [];
  const bySource: HealthReport['sources'] = {};
  for (const s of sources) {
    bySource[s.source] = {
      state: s.state,
      ...(s.lastReadingAt !== undefined ? { lastReadingAt: s.lastReadingAt, ageMs: Math.max(0, now - s.lastReadingAt) } : {}),
      readings: s.readings,
      errors: { ...s.errors },
      discardedBytes: s.discardedBytes,
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
    };
    if (s.state === 'down' || s.state === 'stale') problems.push(`${s.source} ${s.state}${s.detail ? ` (${s.detail})` : ''}`);
  }
  const byComponent: HealthReport['components'] = {};
  for (const c of components) {
    byComponent[c.name] = c.detail !== undefined ? { ok: c.ok, detail: c.detail } : { ok: c.ok };
    if (!c.ok) problems.push(`${c.name}: ${c.detail ?? 'failing'}`);
  }
  return {
    healthy: problems.length === 0,
    summary: problems.length === 0 ? 'ok' : problems.join('; '),
    checkedAt: now,
    sources: bySource,
    components: byComponent,
  };
}

/**
 * `place-agent status`: the running agent at a glance, read from its /status.json.
 * On a terminal the view refreshes in place (cursor home, rewrite, clear the rest); in a
 * pipe or with --once it prints one snapshot; --json prints the snapshot for scripts.
 */
import { deliveryLagMs, type AgentStatus, type SourceStatus } from './status.ts';
import { formatSeconds } from './progress.ts';
import { DEFAULT_OPS_HOST, DEFAULT_OPS_PORT } from './http.ts';
import { codeOf } from '../../core/coded-error.ts';
import { OpsError, OpsErrorCode } from './errors.ts';

export const DEFAULT_STATUS_URL = `http://${DEFAULT_OPS_HOST}:${DEFAULT_OPS_PORT}`;

export interface StatusOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface RenderOptions {
  /** Lines are cut to this many columns. */
  width?: number;
  color?: boolean;
}

const ESC = '\x1b[';
const paint = (on: boolean, code: string, s: string): string => (on ? `${ESC}${code}m${s}${ESC}0m` : s);

function age(ms: number | undefined, now: number): string {
  if (ms === undefined) return 'never';
  return `${formatSeconds(Math.max(0, now - ms) / 1000)} ago`;
}

function stateColor(state: string): string {
  return state === 'up' || state === 'connected' || state === 'ok' ? '32' : state === 'starting' || state === 'stale' || state === 'connecting' ? '33' : '31';
}

function sourceLine(s: SourceStatus, now: number, color: boolean, nameWidth: number): string {
  const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
  const last = s.lastReading ? `${s.lastReading.summary} (${age(s.lastReading.t, now)})` : s.lastReadingAt !== undefined ? age(s.lastReadingAt, now) : 'no reading yet';
  const state = paint(color, stateColor(s.state), s.state.padEnd(8));
  const extra = [`${s.readings} readings`, errors > 0 ? `${errors} errors` : '', s.discardedBytes > 0 ? `${s.discardedBytes} B discarded` : '', s.detail ?? ''].filter(Boolean).join(', ');
  return `  ${s.source.padEnd(nameWidth)} ${state} ${last}  ${extra}`;
}

/** "agent GRANT_SIGNATURE_INVALID 2, OUTBOX_PRESSURE 1  log OBS_TOO_LARGE 3": non-zero counts by component; '' when none. */
function errorsLine(errors: AgentStatus['errors']): string {
  return Object.entries(errors ?? {})
    .map(([component, codes]) => [component, Object.entries(codes ?? {}).filter(([, n]) => n > 0)] as const)
    .filter(([, codes]) => codes.length > 0)
    .map(([component, codes]) => `${component} ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`)
    .join('  ');
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** The view as lines, without control codes other than colour. */
export function renderStatusLines(status: AgentStatus, opts: RenderOptions = {}): string[] {
  const color = opts.color ?? false;
  const now = status.agent.now;
  const a = status.agent;
  const lines: string[] = [];
  lines.push(`place-agent ${a.version}  ${a.place}  ${a.mode ?? 'live'}  up ${formatSeconds((now - a.startedAt) / 1000)}${a.pid !== undefined ? `  pid ${a.pid}` : ''}`);
  lines.push(`  ${a.iss}`);
  lines.push('');
  lines.push(`SOURCES (${status.sources.filter((s) => s.state === 'up').length}/${status.sources.length} up)`);
  // One column width for every source, so a long name does not shift the others' columns.
  const nameWidth = Math.max(10, ...status.sources.map((s) => s.source.length));
  for (const s of status.sources) lines.push(sourceLine(s, now, color, nameWidth));
  if (status.sources.length === 0) lines.push('  none configured');
  lines.push('');
  const o = status.outbox;
  const lag = deliveryLagMs(status);
  lines.push(
    `OUTBOX      depth ${o.depth}  delivery lag ${formatSeconds(lag / 1000)}  broker ${paint(color, stateColor(o.broker), o.broker)}${o.brokerUrl ? ` ${o.brokerUrl}` : ''}${o.lastDeliveredAt !== undefined ? `  last delivered ${age(o.lastDeliveredAt, now)}` : ''}`,
  );
  lines.push(`CHAIN       head seq ${status.chain.headSeq}  epoch ${status.chain.epoch}${status.chain.headDigestHex ? `  head ${status.chain.headDigestHex.slice(0, 16)}…` : ''}`);
  const c = status.credential;
  const validity = c.valid
    ? `valid${c.expiresAt !== undefined ? ` until ${isoDate(c.expiresAt)} (${formatSeconds((c.expiresAt - now) / 1000)} left)` : ''}`
    : `INVALID${c.detail ? `: ${c.detail}` : ''}`;
  const note = c.valid && c.expiring ? `  ${paint(color, '33', 'EXPIRES WITHIN 7 DAYS: renew it')}` : '';
  lines.push(`CREDENTIAL  ${paint(color, c.valid ? '32' : '31', validity)}${c.subject ? `  ${c.subject}` : ''}${note}${c.renewals ? `  renewed ${c.renewals}x` : ''}`);
  const t = status.time;
  lines.push(
    `TIME        ${t.src} ${paint(color, t.sync ? '32' : '33', t.sync ? 'synchronised' : 'not synchronised')}  ±${t.errMs} ms${t.offsetMs !== undefined ? `  offset ${t.offsetMs >= 0 ? '+' : ''}${t.offsetMs} ms` : ''}`,
  );
  if (status.signer) {
    const s = status.signer;
    lines.push(`SIGNER      ${s.kind} ${paint(color, stateColor(s.state), s.state)}${s.lastLatencyMs !== undefined ? `  last signature ${s.lastLatencyMs} ms` : ''}`);
  }
  if (status.probes && status.probes.length > 0) {
    lines.push(`LIVENESS    ${status.probes.map((p) => (p.ok ? `${p.name} ok` : paint(color, '31', `${p.name} FAILING${p.detail ? ` (${p.detail})` : ''}`))).join('  ')}`);
  }
  const errors = errorsLine(status.errors);
  if (errors) lines.push(`ERRORS      ${paint(color, '33', errors)}`);
  const width = opts.width;
  return width && !color ? lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)) : lines;
}

/** Draws frames in place on a terminal; appends them elsewhere. */
export class StatusScreen {
  private drawn = false;

  constructor(private readonly out: StatusOutput) {}

  draw(lines: readonly string[]): void {
    if (!this.out.isTTY) {
      this.out.write(lines.join('\n') + '\n');
      return;
    }
    // First frame clears the screen; later ones go home and overwrite, clearing each line's
    // tail and everything below, so the view never scrolls (ECMA-48 CUP, EL, ED).
    const prefix = this.drawn ? `${ESC}H` : `${ESC}?25l${ESC}H${ESC}2J`;
    this.drawn = true;
    this.out.write(prefix + lines.map((l) => `${l}${ESC}K`).join('\n') + `\n${ESC}J`);
  }

  /** Restores the cursor when leaving a live view. */
  end(): void {
    if (this.out.isTTY && this.drawn) this.out.write(`${ESC}?25h`);
  }
}

/** Reads the agent's /status.json. `url` is the ops endpoint base or the full document URL. */
export async function fetchStatus(url: string = DEFAULT_STATUS_URL, signal?: AbortSignal): Promise<AgentStatus> {
  const target = url.endsWith('/status.json') ? url : `${url.replace(/\/+$/, '')}/status.json`;
  let res: Response;
  try {
    res = await fetch(target, signal ? { signal } : {});
  } catch (e) {
    throw new OpsError('OPS_STATUS_UNREACHABLE', `cannot reach the agent at ${target}: is it running?`, { url: target }, { cause: e });
  }
  if (!res.ok) throw new OpsError('OPS_STATUS_HTTP', `${target} answered ${res.status}`, { url: target, status: res.status });
  const body = (await res.json()) as unknown;
  if (!body || typeof body !== 'object' || !('agent' in body) || !('sources' in body)) {
    throw new OpsError('OPS_STATUS_MALFORMED', `${target} did not return an agent status`, { url: target });
  }
  return body as AgentStatus;
}

export interface StatusCommandOptions {
  url?: string;
  json?: boolean;
  /** One snapshot and exit; implied by --json and when stdout is not a terminal. */
  once?: boolean;
  intervalMs?: number;
  out?: StatusOutput;
  err?: { write(chunk: string): unknown };
  /** Stops a live view (the CLI aborts it on SIGINT). */
  signal?: AbortSignal;
  /** The issuer the agent must have; another agent answering on the URL is refused. */
  expectIss?: string;
}

/** Fetches and checks the status is from the expected agent. */
async function fetchExpected(url: string, expectIss: string | undefined, signal?: AbortSignal): Promise<AgentStatus> {
  const status = await fetchStatus(url, signal);
  if (expectIss !== undefined && status.agent.iss !== expectIss) {
    throw new OpsError('OPS_STATUS_WRONG_AGENT', `the agent at ${url} is ${status.agent.iss} (place ${status.agent.place}, pid ${status.agent.pid ?? '?'}), not this device ${expectIss}: another agent holds the port`, {
      url,
      found: status.agent.iss,
      expected: expectIss,
    });
  }
  return status;
}

/** The `place-agent status` command; resolves to the exit code (0 ok, 3 agent unreachable or not the expected one). */
export async function runStatusCommand(opts: StatusCommandOptions = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const url = opts.url ?? DEFAULT_STATUS_URL;

  if (opts.json || opts.once || !out.isTTY) {
    try {
      const status = await fetchExpected(url, opts.expectIss, opts.signal);
      out.write(opts.json ? JSON.stringify(status, null, 2) + '\n' : renderStatusLines(status, { width: out.columns }).join('\n') + '\n');
      return 0;
    } catch (e) {
      err.write(`place-agent: ${codeOf(e, OpsErrorCode.OPS_STATUS_FAILED)}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 3;
    }
  }

  const screen = new StatusScreen(out);
  const interval = opts.intervalMs ?? 1_000;
  const stop = opts.signal ?? makeSigintSignal();
  try {
    while (!stop.aborted) {
      try {
        const status = await fetchExpected(url, opts.expectIss, stop);
        const lines = renderStatusLines(status, { color: true });
        screen.draw([...lines, '', `refreshing every ${formatSeconds(interval / 1000)} from ${url}; Ctrl-C to leave`]);
      } catch (e) {
        if (stop.aborted) break;
        if (codeOf(e, OpsErrorCode.OPS_STATUS_FAILED) === OpsErrorCode.OPS_STATUS_WRONG_AGENT) {
          screen.end();
          err.write(`place-agent: OPS_STATUS_WRONG_AGENT: ${(e as Error).message}\n`);
          return 3;
        }
        screen.draw([`agent unreachable: ${e instanceof Error ? e.message : String(e)}`, '', `retrying every ${formatSeconds(interval / 1000)}; Ctrl-C to leave`]);
      }
      await sleep(interval, stop);
    }
  } finally {
    screen.end();
  }
  return 0;
}

function makeSigintSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  return ac.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

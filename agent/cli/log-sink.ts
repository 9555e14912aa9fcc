/**
 * Where `run` sends its log: JSON lines for journald and log shippers when stderr is not a
 * terminal, one short human line when it is (the demo's first screen stays readable).
 */
import type { LogSink } from '../../core/log.ts';

export function humanLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { ts, level, ns, msg, ...fields } = o;
  const time = typeof ts === 'string' ? ts.slice(11, 19) : '';
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${String(level).toUpperCase().padEnd(5)} ${String(ns)}: ${String(msg)}${rest ? `  (${rest})` : ''}`;
}

export function stderrSink(isTTY = Boolean(process.stderr.isTTY)): LogSink {
  return isTTY ? (l) => process.stderr.write(humanLine(l) + '\n') : (l) => process.stderr.write(l + '\n');
}

/**
 * Logging for the service: core/log.ts JSON lines, with
 *  - the syslog priority prefix journald reads from a stream (`<3>` error ... `<7>` debug,
 *    sd-daemon(3)), added only when stderr really is the journal stream ($JOURNAL_STREAM
 *    names its device and inode, systemd.exec(5)), so `journalctl -p warning` filters;
 *  - redaction of fields whose names say they hold a secret, as a last line of defence for
 *    the rule that callers never log one.
 */
import { fstatSync } from 'node:fs';
import { createLogger, type LogLevel, type Logger, type LogSink } from '../../core/log.ts';

const PRIORITY: Record<string, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const SECRET_KEY = /pass(word|phrase)?|secret|token|private|^pin$|authori[sz]ation|cookie|psk|seed/i;
export const REDACTED = '[redacted]';

/** True when fd 2 is the stream systemd connected to journald. */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  const [dev, ino] = stream.split(':');
  try {
    const st = fstatSync(2);
    return String(st.dev) === dev && String(st.ino) === ino;
  } catch {
    return false;
  }
}

/** A sink that puts journald's priority prefix in front of each JSON line. */
export function journalSink(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): LogSink {
  return (line) => {
    const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'info';
    write(`<${PRIORITY[level] ?? 6}>${line}`);
  };
}

export function redactFields(fields: Record<string, unknown> | undefined, depth = 0): Record<string, unknown> | undefined {
  if (!fields) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = REDACTED;
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Error) && depth < 3) {
      out[k] = redactFields(v as Record<string, unknown>, depth + 1);
    } else out[k] = v;
  }
  return out;
}

function redacting(inner: Logger): Logger {
  return {
    debug: (m, f) => inner.debug(m, redactFields(f)),
    info: (m, f) => inner.info(m, redactFields(f)),
    warn: (m, f) => inner.warn(m, redactFields(f)),
    error: (m, f) => inner.error(m, redactFields(f)),
    child: (ns) => redacting(inner.child(ns)),
  };
}

/** The agent's logger: JSON lines on stderr, journald priorities under systemd, secrets redacted. */
export function createServiceLogger(ns: string, level: LogLevel = 'info', opts: { journal?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = opts.write ?? ((l: string) => void process.stderr.write(l + '\n'));
  const sink: LogSink = (opts.journal ?? stderrIsJournal()) ? journalSink(write) : write;
  return redacting(createLogger(ns, level, sink));
}

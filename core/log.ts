/**
 * Structured JSON logging for journald: one object per line, handed to a sink the composition
 * root chooses (stderr, journald priorities: agent/ops/journal-log.ts), with a level, a
 * namespace and fields. Messages may be lazy so a disabled level costs nothing.
 * Secrets never go in: callers pass identifiers, never key material or auth values.
 */
import { codeOf } from './coded-error.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string | (() => string), fields?: Record<string, unknown>): void;
  info(msg: string | (() => string), fields?: Record<string, unknown>): void;
  warn(msg: string | (() => string), fields?: Record<string, unknown>): void;
  error(msg: string | (() => string), fields?: Record<string, unknown>): void;
  child(ns: string): Logger;
}

export type LogSink = (line: string) => void;

/** `sink` is where lines go (the composition root passes stderr or journald); core writes nowhere itself. */
export function createLogger(ns: string, level: LogLevel, sink: LogSink): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string | (() => string), fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < min) return;
    const text = typeof msg === 'function' ? msg() : msg;
    sink(JSON.stringify({ ts: new Date().toISOString(), level: lvl, ns, msg: text, ...fields }, jsonSafe));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${ns}:${sub}`, level, sink),
  };
}

function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof Error) return { name: v.name, message: v.message, ...(codeOf(v, '') ? { code: codeOf(v, '') } : {}) };
  return v;
}

/** A logger that keeps nothing; for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

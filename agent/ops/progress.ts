/**
 * Progress of a long operation (outbox drain after an outage, audit export, verifying a
 * large chain): a bar redrawn in place on a terminal, plain lines at every tenth in a
 * journal or a pipe, where carriage returns would only make noise.
 */

export interface ProgressOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** Adds n (default 1) to the work done. */
  tick(n?: number): void;
  /** Sets the work done. */
  update(done: number): void;
  /** Ends the bar with a final line. */
  finish(message?: string): void;
}

export interface ProgressOptions {
  out?: ProgressOutput;
  /** Overrides out.isTTY. */
  tty?: boolean;
  now?: () => number;
}

export function createProgress(total: number, label: string, opts: ProgressOptions = {}): Progress {
  const out = opts.out ?? process.stderr;
  const tty = opts.tty ?? out.isTTY === true;
  const now = opts.now ?? Date.now;
  const startedAt = now();
  let done = 0;
  let lastDrawn = '';
  let lastTenth = -1;
  let finished = false;

  const fraction = (): number => (total > 0 ? Math.min(1, done / total) : 1);

  const draw = (): void => {
    if (finished) return;
    const f = fraction();
    const pct = Math.floor(f * 100);
    if (tty) {
      const width = Math.max(10, Math.min(40, (out.columns ?? 80) - label.length - 40));
      const filled = Math.round(f * width);
      const elapsed = now() - startedAt;
      const eta = f > 0 && f < 1 ? ` eta ${formatSeconds(((elapsed / f) * (1 - f)) / 1000)}` : '';
      const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}${eta}`;
      if (line === lastDrawn) return;
      lastDrawn = line;
      out.write(`\r${line}\x1b[K`);
    } else {
      const tenth = Math.floor(f * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      out.write(`${label}: ${done}/${total} (${pct}%)\n`);
    }
  };

  return {
    tick(n = 1) {
      done += n;
      draw();
    },
    update(value) {
      done = value;
      draw();
    },
    finish(message) {
      if (finished) return;
      const summary = `${label}: ${message ?? `done, ${done}/${total}`} in ${formatSeconds((now() - startedAt) / 1000)}`;
      finished = true;
      out.write(tty ? `\r${summary}\x1b[K\n` : `${summary}\n`);
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Collects a stream's lines and lets a test wait for one that matches, without timers. */
import type { Readable } from 'node:stream';

export class LineLog {
  readonly lines: string[] = [];
  private waiters: Array<{ test: (l: string) => boolean; from: number; resolve: (i: number) => void }> = [];
  private buffer = '';
  private ended = false;
  private endWaiters: Array<(e: Error) => void> = [];

  constructor(stream: Readable, private readonly label = 'stream') {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      this.ended = true;
      const err = new Error(`${this.label} ended; lines so far:\n${this.lines.join('\n')}`);
      for (const w of this.endWaiters) w(err);
    });
  }

  private push(line: string): void {
    const index = this.lines.push(line) - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.from && w.test(line)) {
        w.resolve(index);
        return false;
      }
      return true;
    });
  }

  /** Resolves with the index of the first line at or after `from` that passes `test`. */
  waitFor(test: (line: string) => boolean, from = 0): Promise<number> {
    for (let i = from; i < this.lines.length; i++) if (test(this.lines[i]!)) return Promise.resolve(i);
    if (this.ended) return Promise.reject(new Error(`${this.label} ended without a matching line:\n${this.lines.join('\n')}`));
    return new Promise((resolve, reject) => {
      this.waiters.push({ test, from, resolve });
      this.endWaiters.push(reject);
    });
  }
}

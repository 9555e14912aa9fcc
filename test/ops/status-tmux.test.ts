import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startOpsServer, type OpsServer } from '../../agent/ops/http.ts';
import { MetricsRegistry } from '../../agent/ops/metrics.ts';
import { buildHealthReport } from '../../agent/ops/health.ts';
import { sampleStatus, NOW } from './fixtures/status-sample.ts';

// `place-agent status` in a real terminal: tmux runs it in a pane of known size, and the
// test reads the screen back with capture-pane.
const repo = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'place-tmux-'));
const sock = join(dir, 'tmux.sock');
const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
const fixture = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(repo, 'test/ops/fixtures/status-tty.ts'))}`;

let server: OpsServer;
let depth = 12;
let rfid: 'up' | 'down' = 'down';

beforeAll(async () => {
  server = await startOpsServer({ port: 0, registry: new MetricsRegistry(), health: () => buildHealthReport([], [], NOW), status: () => sampleStatus({ outboxDepth: depth, rfidState: rfid }) });
});

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server left: every session ended
  }
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function startPane(session: string, command: string): void {
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', repo, command);
  tmux('set-option', '-t', session, 'remain-on-exit', 'on');
}

const screen = (session: string): string => tmux('capture-pane', '-p', '-t', session);
const history = (session: string): string => tmux('capture-pane', '-p', '-S', '-', '-t', session);

/** Polls the pane until it shows what the test waits for (the test timeout bounds it). */
async function waitForScreen(session: string, test: (s: string) => boolean): Promise<string> {
  for (;;) {
    const s = screen(session);
    if (test(s)) return s;
    await delay(50);
  }
}

const count = (s: string, needle: string): number => s.split(needle).length - 1;

describe('status in a terminal', () => {
  it('draws the agent status and refreshes it in place', async () => {
    const exitFile = join(dir, 'status-exit');
    startPane('status', `PLACE_TTY_EXIT_FILE=${exitFile} ${fixture} status ${server.url}`);
    const first = await waitForScreen('status', (s) => s.includes('OUTBOX      depth 12'));
    expect(first.split('\n')[0]).toBe('place-agent 0.1.0  urn:place:DEHAM:berth:42  live  up 2h03m  pid 4242');
    expect(first).toMatch(/rfid0\s+down/);
    expect(first).toContain('SOURCES (1/2 up)');
    expect(first).toContain('CHAIN       head seq 10234  epoch 17');

    depth = 40;
    rfid = 'up';
    const second = await waitForScreen('status', (s) => s.includes('OUTBOX      depth 40'));
    expect(second).toContain('SOURCES (2/2 up)');
    expect(second).not.toContain('depth 12');
    // In place: one frame on the screen and none scrolled into the pane's history.
    expect(count(second, 'SOURCES (')).toBe(1);
    expect(count(history('status'), 'SOURCES (')).toBe(1);

    tmux('send-keys', '-t', 'status', 'C-c');
    // The view must leave on Ctrl-C with exit code 0 (recorded by the fixture on exit).
    const deadline = Date.now() + 20_000;
    while (!existsSync(exitFile)) {
      if (Date.now() > deadline) throw new Error('status view did not exit after Ctrl-C');
      await delay(50);
    }
    expect(readFileSync(exitFile, 'utf8')).toBe('0');
  });

  it('draws a progress bar that ends as one line', async () => {
    startPane('progress', `${fixture} progress 300`);
    const s = await waitForScreen('progress', (x) => x.includes('draining outbox: done, 300/300'));
    expect(count(s, 'draining outbox')).toBe(1);
    expect(s).not.toContain('[###');
    tmux('send-keys', '-t', 'progress', 'Enter');
  });
});

/**
 * Runs the `place-agent` command as a child process, as systemd would, from its TypeScript
 * sources through tsx (test/integration/package.test.ts runs the compiled one from dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const SOURCE_BIN = resolve(import.meta.dirname, '../agent/cli/bin.ts');
/** Node arguments that start the CLI from sources: prepend to the command's own arguments. */
export const BIN_ARGS = ['--import', 'tsx', SOURCE_BIN];

export interface AgentProcess {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * `stderr: 'inherit'` shows the agent's log where the caller's goes (a terminal gets human lines);
 * `detached`: its own process group, so a terminal's Ctrl-C reaches only the caller, which stops it once.
 */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv = {}, o: { stderr?: 'pipe' | 'inherit'; detached?: boolean } = {}): AgentProcess {
  const proc = spawn(process.execPath, [...BIN_ARGS, ...args], { stdio: ['ignore', 'pipe', o.stderr ?? 'pipe'], detached: o.detached ?? false, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs one command to its end; `bin` is what starts the CLI (the sources unless given, `[dist/agent/cli/bin.js]` for the compiled one). */
export async function runAgent(args: string[], input?: Buffer, bin: string[] = BIN_ARGS): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [...bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdin.end(input ?? Buffer.alloc(0));
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return { code, stdout: out, stderr: err };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

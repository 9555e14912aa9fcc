/**
 * Runs one tpm2-tools program against a swtpm (TPM2TOOLS_TCTI), as a second process on the
 * machine would. There is no resource manager between them, so transient objects a tool leaves
 * loaded are flushed after each (`tpm2_flushcontext -t`), whether it succeeded or not.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function tpm2Tool(tcti: string, [cmd, ...args]: string[], o: { cwd?: string } = {}): Promise<Buffer> {
  const env = { ...process.env, TPM2TOOLS_TCTI: tcti };
  try {
    return (await run(cmd!, args, { env, encoding: 'buffer', ...(o.cwd ? { cwd: o.cwd } : {}) })).stdout;
  } finally {
    await run('tpm2_flushcontext', ['-t'], { env }).catch(() => {});
  }
}

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../config/load.ts';
import { exportChain, type ExportResult } from '../ops/chain-export.ts';
import { OpsError } from '../ops/errors.ts';
import { numberFlag, type Parsed } from './args.ts';
import type { EXPORT_FLAGS } from './commands.ts';
import { CliCode, CliError } from './errors.ts';

/** The state directory and database named by --config, --state or --db; a missing one is refused, never created. */
function locate(v: { config?: string | undefined; state?: string | undefined; db?: string | undefined }): { stateDir?: string; dbPath: string } {
  const given = [v.config && '--config', v.state && '--state', v.db && '--db'].filter(Boolean);
  if (given.length > 1) throw new CliError(CliCode.USAGE, `${given.join(' and ')} each name the database: give one`);
  if (v.db) return { dbPath: resolve(v.db) };
  const cfg = v.config ? loadConfigFile(v.config) : undefined;
  const stateDir = resolve(v.state ?? cfg?.stateDir ?? 'var');
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) {
    throw new OpsError('STORE_MISSING', `state directory ${stateDir} does not exist: nothing to export (nothing was created)`, { path: stateDir });
  }
  return { stateDir, dbPath: cfg?.store.path ? resolve(cfg.store.path) : join(stateDir, 'agent.db') };
}

function report(r: ExportResult, out: string): number {
  const range = r.firstSeq !== undefined ? ` (seq ${r.firstSeq}-${r.lastSeq})` : '';
  process.stderr.write(`exported ${r.written} observation(s)${range} and ${r.grants} grant(s)${r.auditFiles ? `, from ${r.auditFiles} audit file(s) and the store,` : ''} to ${out}\n`);
  if (r.damaged.length === 0) return 0;
  const lost = r.damaged.reduce((n, [a, b]) => n + b - a + 1, 0);
  process.stderr.write(
    `place-agent: STORE_DAMAGED: ${lost} observation(s) could not be read: seq ${r.damaged.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')}\n` +
      `  the export holds every other row and verifies; verify will report the damaged seqs as a gap.\n` +
      `  next: keep this export, move the database aside, and start the agent with --new-chain (a declared new chain naming the lost head)\n`,
  );
  return 1;
}

/** Writes the chain from the store as a CBOR sequence (RFC 8742): COSE_Sign1 items back to back. */
export async function exportCommand({ values }: Parsed<typeof EXPORT_FLAGS>): Promise<number> {
  if (!values.out) throw new CliError(CliCode.USAGE, 'place-agent export needs --out FILE; place-agent export --help');
  const { dbPath } = locate(values);
  const fromSeq = numberFlag(values.from, 'from', 1, Number.MAX_SAFE_INTEGER)!;
  return report(exportChain({ dbPath, out: values.out, fromSeq, salvage: values.salvage ?? false }), values.out);
}

/** The whole history: the audit files retention wrote, then the store, as one CBOR sequence. */
export async function auditExportCommand({ values }: Parsed<Pick<typeof EXPORT_FLAGS, 'config' | 'state' | 'out' | 'salvage'>>): Promise<number> {
  if (!values.out) throw new CliError(CliCode.USAGE, 'place-agent audit export needs --out FILE; place-agent audit export --help');
  const { stateDir, dbPath } = locate(values);
  return report(exportChain({ dbPath, out: values.out, salvage: values.salvage ?? false, auditDir: join(stateDir!, 'audit') }), values.out);
}

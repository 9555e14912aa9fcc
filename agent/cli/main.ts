/**
 * `place-agent` command line. Exit codes: 0 success; 1 verification found failures;
 * 2 usage or configuration error; 3 runtime error (key, store, broker, TPM).
 */
import { parseArgs } from 'node:util';
import { isCodedError, codeOf } from '../../core/coded-error.ts';
import { runCommand } from './run.ts';
import { configCommand } from './config-cmd.ts';
import { keysCommand } from './keys.ts';
import { authorityCommand } from './authority.ts';
import { verifyCommand } from './verify.ts';
import { exportCommand } from './export.ts';
import { decodeCommand } from './decode.ts';
import { enrollCommand } from './enroll.ts';
import { statusCommand } from './status.ts';

export const USAGE = `place-agent <command> [options]

  run [--embedded] [--config FILE] [--port N] [--tpm TCTI] [--state DIR]
                               start the agent (npm start = run --embedded)
  config check FILE            validate a configuration file
  config ip-allow FILE         print the systemd drop-in allowing the IP peers FILE names
  keys init [--config FILE | --state DIR] [--tpm TCTI]   create the device key (0600) or TPM key + counter
  keys show [--config FILE | --state DIR] [--tpm TCTI] [--json]
  enroll --tpm TCTI --out FILE            TPM enrolment request (key + Certify by the AK)
  authority init --dir DIR [--name URN]
  authority issue --dir DIR --subject URN (--key FILE | --enrollment FILE) --places P[,P]
                  [--level gateway|authority|unit|settler] [--kinds K,K] [--units U,U]
                  [--max-window-ms N] [--max-grace-ms N] [--max-tolerance-m N] [--days N] [--depth N]
                  [--parent CRED --parent-key KEY [--parent-chain CRED,CRED]] [--out FILE]
  authority grant --dir DIR --place URN --reservation ID --unit SCHEME:ID --start T --end T
                  [--tolerance M] [--grace MS] [--parent CRED --parent-key KEY] [--out FILE]
  verify --anchor FILE (--file FILE | --broker URL --place URN [--count N] [--timeout S])
  export [--state DIR | --db FILE] --out FILE   the chain as a CBOR sequence (RFC 8742)
  decode <nmea|ais|rfid-em4100|rfid-uhf-r200|modbus|mcu> [--port PATH --baud N]
  status [--url URL] [--json] [--once]
`;

export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  config: configCommand,
  keys: keysCommand,
  authority: authorityCommand,
  verify: verifyCommand,
  export: exportCommand,
  decode: decodeCommand,
  enroll: enrollCommand,
  status: statusCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  const handler = COMMANDS[cmd];
  if (!handler) {
    process.stderr.write(`place-agent: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await handler(rest);
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (isCodedError(e)) {
    process.stderr.write(`place-agent: ${e.code}: ${e.message}\n`);
    return e.code.startsWith('CONFIG_') || e.code === 'USAGE' ? 2 : 3;
  }
  if (codeOf(e, '').startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`place-agent: USAGE: ${(e as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`place-agent: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  return 3;
}

export { parseArgs };

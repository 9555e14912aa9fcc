/**
 * `place-agent` command line. Exit codes: 0 success; 1 verification or decoding found
 * failures; 2 usage, configuration or input file error (nothing opened); 3 runtime error
 * (key, store, broker, TPM, port). Commands are declared in commands.ts and loaded only
 * when run; every failure reaches the user as one coded line, never a stack trace.
 */
import { COMMANDS, findCommand } from './commands.ts';
import { parseCommand, renderHelp, wantsHelp, EXIT_CODES_TEXT } from './args.ts';
import { reportError } from './errors.ts';
import { packageVersion } from './version.ts';

export const USAGE = `place-agent <command> [flags]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(17)}${c.summary}`).join('\n')}

place-agent <command> --help shows a command's flags and an example; place-agent --version its version.
${EXIT_CODES_TEXT}
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    process.stdout.write(`place-agent ${packageVersion()} (node ${process.versions.node})\n`);
    return 0;
  }
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd) process.stdout.write(USAGE);
    else process.stderr.write(`place-agent: USAGE: a command is needed\n\n${USAGE}`);
    return cmd ? 0 : 2;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`place-agent: USAGE: unknown command ${JSON.stringify(cmd)}; place-agent --help lists the commands\n`);
    return 2;
  }
  if ('group' in found) {
    const text = `place-agent ${found.group} <${found.specs.map((s) => s.name.split(' ')[1]).join('|')}>\n\n${found.specs.map((s) => `  ${s.name.padEnd(17)}${s.summary}`).join('\n')}\n\nplace-agent ${found.group} <subcommand> --help for its flags\n`;
    if (wantsHelp(argv.slice(1))) {
      process.stdout.write(text);
      return 0;
    }
    const sub = argv[1];
    process.stderr.write(`place-agent: USAGE: ${sub === undefined ? `place-agent ${found.group} needs a subcommand` : `unknown subcommand ${JSON.stringify(sub)} of place-agent ${found.group}`}\n\n${text}`);
    return 2;
  }
  if (wantsHelp(found.rest)) {
    process.stdout.write(renderHelp(found.spec));
    return 0;
  }
  try {
    const parsed = parseCommand(found.spec, found.rest);
    const handler = await found.spec.load();
    return await handler(parsed);
  } catch (e) {
    return reportError(e);
  }
}

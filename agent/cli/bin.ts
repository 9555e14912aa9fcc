#!/usr/bin/env node
// The `place-agent` command. Shipped compiled (dist/agent/cli/bin.js); `npm run dev` runs this
// source through tsx. The process ends with the command's exit code once stdout and stderr are
// flushed, even if a failed start left a handle (a socket, a worker) open.
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
process.exitCode = code;
const flushed = (s: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => (s.writableLength === 0 ? resolve() : s.once('drain', () => resolve())));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

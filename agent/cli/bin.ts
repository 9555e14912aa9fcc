#!/usr/bin/env node
// The `place-agent` command. Shipped compiled (dist/agent/cli/bin.js); `npm run dev` runs this
// source through tsx.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));

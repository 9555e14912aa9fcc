/** `npm run bench`: every benchmark, each figure beside its baseline measured in the same run. */
import { benchPipeline } from './pipeline.bench.ts';
import { benchTpm } from './tpm.bench.ts';
import { benchNmea } from './nmea.bench.ts';
import { benchAis } from './ais.bench.ts';
import { benchStartup } from './startup.bench.ts';

const benches: [string, () => Promise<Record<string, number>>][] = [
  ['pipeline (software key, mosquitto)', () => benchPipeline()],
  ['tpm (swtpm)', () => benchTpm()],
  ['nmea decode vs gpsdecode', () => benchNmea()],
  ['ais decode vs gpsdecode', () => benchAis()],
  ['startup (compiled agent: --help, first observation, RSS after 60 s)', () => benchStartup()],
];

const only = process.argv.slice(2);
let failed = 0;
for (const [name, run] of benches) {
  if (only.length && !only.some((o) => name.startsWith(o))) continue;
  try {
    const r = await run();
    process.stdout.write(`\n${name}\n`);
    for (const [k, v] of Object.entries(r)) process.stdout.write(`  ${k.padEnd(34)} ${v}\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`\n${name}: FAILED ${(e as Error).message}\n`);
  }
}
process.exit(failed ? 1 : 0);

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The gpsd 3.22 recordings (BSD, see COPYING.gpsd there), read in place beside the checkout. */
export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'gpsd');

export const NMEA_LOGS = ['gr8013-w.log', 'polarx2.log', 'bu353-glonass.log', 'nmea-fuzzy-cases.log'] as const;

/** The log's sentence lines (comments dropped), as the receiver sent them. */
export function logSentences(name: string): string[] {
  return readFileSync(path.join(CORPUS_DIR, name), 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('$') || l.startsWith('!'));
}

export interface GpsdTpv {
  class: 'TPV';
  mode: number;
  time?: string;
  lat?: number;
  lon?: number;
  alt?: number;
  speed?: number;
  track?: number;
  [k: string]: unknown;
}

/** The JSON reports gpsd made for the log (`.chk`), in order. */
export function chkReports(name: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(CORPUS_DIR, `${name}.chk`), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

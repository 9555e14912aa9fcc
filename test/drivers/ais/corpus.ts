import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** gpsd 3.22 recordings (BSD, see COPYING.gpsd beside them), copied from gpsd 3.22 with its licence. */
export const gpsdCorpus = path.resolve(repoRoot, 'test', 'fixtures', 'gpsd');

/**
 * gpsd 3.22 fills the last byte of type 26's data with whatever its buffer holds after the data
 * (seen as communication-state bits in one message and zeros in the same message cut short);
 * we pad with zeros. Compared: the bit count and the data bits themselves.
 */
export function sameType26Data(ours: unknown, theirs: unknown): boolean {
  const parse = (d: unknown): [number, string] => {
    const [n, hex] = String(d).split(':');
    const bits = [...(hex ?? '')].map((c) => parseInt(c, 16).toString(2).padStart(4, '0')).join('');
    return [Number(n), bits.slice(0, Number(n))];
  };
  const [a, b] = [parse(ours), parse(theirs)];
  return a[0] === b[0] && a[1] === b[1];
}

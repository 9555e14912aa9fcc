import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** gpsd 3.22 recordings (BSD, see COPYING.gpsd beside them), copied from gpsd 3.22 with its licence. */
export const gpsdCorpus = path.resolve(repoRoot, 'test', 'fixtures', 'gpsd');

/** The package version, read from the package.json above this file (source tree or compiled output). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'place-agent' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
    d = dirname(d);
  }
  return 'unknown';
}

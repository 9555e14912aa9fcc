/**
 * The epoch counter for a software key: a decimal number in a file, raised by writing a
 * temporary file, fsyncing it and renaming it over the old one, so a crash leaves either the
 * old or the new value. Unlike the TPM NV counter it can be rolled back by whoever owns the
 * disk; a verifier knows which kind it is from the credential.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EpochCounter } from '../lineage/epoch.ts';
import { SigningError } from './errors.ts';

export class FileEpochCounter implements EpochCounter {
  readonly kind = 'file' as const;

  constructor(private readonly path: string) {}

  async read(): Promise<bigint> {
    try {
      const text = readFileSync(this.path, 'utf8').trim();
      if (!/^\d+$/.test(text)) throw new SigningError('EPOCH_CORRUPT', `epoch file ${this.path} does not hold a number`, { path: this.path });
      return BigInt(text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n;
      throw e;
    }
  }

  async increment(): Promise<bigint> {
    const next = (await this.read()) + 1n;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${next}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dfd = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    return next;
  }

  async close(): Promise<void> {}
}

/**
 * Watches the credential file and its parents' files (DESIGN.md, issue 11: renewal without a
 * restart). Polled by stat (inode, size, mtime), which also sees a file replaced by rename, the
 * way installers write: on a change the files are read and handed to the agent, which either
 * switches to them or refuses them with a coded error and keeps the old ones. A file read half
 * written is refused and read again at its next change.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../../core/log.ts';
import { codeOf, type ErrorCounter } from '../../core/coded-error.ts';
import { RuntimeErrorCode, type AgentCountedCode } from './errors.ts';

export interface CredentialWatchOptions {
  leaf: string;
  parents: string[];
  /** Poll period, ms (default 5 s). */
  pollMs?: number;
  logger: Logger;
  errors: ErrorCounter<AgentCountedCode>;
  /** The agent's renewal: resolves true when it switched, false when these are the files in use; rejects with a coded error when refused. */
  renew: (credential: Uint8Array, parents: Uint8Array[]) => Promise<boolean>;
}

const MAX_CREDENTIAL_FILE = 16 * 1024;

export class CredentialWatch {
  private timer: NodeJS.Timeout | undefined;
  private seen: string;
  private busy = false;

  constructor(private readonly o: CredentialWatchOptions) {
    this.seen = this.signature();
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private signature(): string {
    return [this.o.leaf, ...this.o.parents]
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  /** One look at the files; exported behaviour for tests is through the agent's chain. */
  async poll(): Promise<void> {
    if (this.busy) return;
    const now = this.signature();
    if (now === this.seen) return;
    this.seen = now;
    this.busy = true;
    try {
      const read = (f: string): Uint8Array => {
        const b = readFileSync(f);
        if (b.length > MAX_CREDENTIAL_FILE) throw Object.assign(new Error(`${f} is ${b.length} bytes, over ${MAX_CREDENTIAL_FILE}`), { code: RuntimeErrorCode.CREDENTIAL_FILE_UNREADABLE });
        return new Uint8Array(b);
      };
      let leaf: Uint8Array;
      let parents: Uint8Array[];
      try {
        leaf = read(this.o.leaf);
        parents = this.o.parents.map(read);
      } catch (e) {
        this.o.errors.count(RuntimeErrorCode.CREDENTIAL_FILE_UNREADABLE);
        this.o.logger.warn('a credential file changed but cannot be read; the credential in use is kept', { code: RuntimeErrorCode.CREDENTIAL_FILE_UNREADABLE, error: e as Error });
        return;
      }
      try {
        await this.o.renew(leaf, parents);
      } catch (e) {
        const code = codeOf(e, RuntimeErrorCode.CREDENTIAL_RENEWAL_REFUSED);
        this.o.errors.count(code);
        this.o.logger.error('a new credential file is refused; the credential in use is kept', { code, error: e as Error });
      }
    } finally {
      this.busy = false;
    }
  }
}

/**
 * What the agent keeps about trust between runs, in a directory beside its key: the latest
 * accepted revocation list of each issuer (`revocations/<issuer kid hex>.cose`, so a restart
 * honours it before the broker answers) and the notices already signed onto the chain
 * (`notices.json`: a revoked or expiring credential is said once, not at every start). Each
 * write is a temp file, fsync, rename: a crash leaves the old or the new content.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The agent's port onto it (PlaceAgentOptions.trustState); an in-memory one serves tests. */
export interface TrustState {
  /** Every kept list's bytes (unverified: the caller verifies them again). */
  lists(): Uint8Array[];
  saveList(issuerKidHex: string, bytes: Uint8Array): void;
  said(notice: string): boolean;
  markSaid(notice: string): void;
}

/** Lists are bounded at 16 KiB on the wire; a bigger file here was not written by the agent. */
const MAX_LIST_FILE = 16 * 1024;

function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class TrustStateFiles implements TrustState {
  private readonly listDir: string;
  private readonly noticesFile: string;
  private notices: Set<string> | undefined;

  constructor(readonly dir: string) {
    this.listDir = join(dir, 'revocations');
    this.noticesFile = join(dir, 'notices.json');
  }

  lists(): Uint8Array[] {
    if (!existsSync(this.listDir)) return [];
    const out: Uint8Array[] = [];
    for (const name of readdirSync(this.listDir)) {
      if (!/^[0-9a-f]{64}\.cose$/.test(name)) continue;
      const path = join(this.listDir, name);
      if (statSync(path).size > MAX_LIST_FILE) continue;
      out.push(new Uint8Array(readFileSync(path)));
    }
    return out;
  }

  saveList(issuerKidHex: string, bytes: Uint8Array): void {
    if (!/^[0-9a-f]{64}$/.test(issuerKidHex)) throw new Error(`not a key id: ${issuerKidHex}`);
    mkdirSync(this.listDir, { recursive: true, mode: 0o700 });
    writeAtomic(join(this.listDir, `${issuerKidHex}.cose`), bytes);
  }

  private load(): Set<string> {
    if (!this.notices) {
      try {
        const v = existsSync(this.noticesFile) ? (JSON.parse(readFileSync(this.noticesFile, 'utf8')) as { said?: unknown }).said : [];
        this.notices = new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      } catch {
        // Unreadable: a notice may be said once more, which is better than never.
        this.notices = new Set();
      }
    }
    return this.notices;
  }

  said(notice: string): boolean {
    return this.load().has(notice);
  }

  markSaid(notice: string): void {
    const s = this.load();
    s.add(notice);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeAtomic(this.noticesFile, JSON.stringify({ said: [...s] }) + '\n');
  }
}

export class MemoryTrustState implements TrustState {
  private readonly kept = new Map<string, Uint8Array>();
  private readonly notices = new Set<string>();
  lists(): Uint8Array[] {
    return [...this.kept.values()];
  }
  saveList(issuerKidHex: string, bytes: Uint8Array): void {
    this.kept.set(issuerKidHex, bytes);
  }
  said(notice: string): boolean {
    return this.notices.has(notice);
  }
  markSaid(notice: string): void {
    this.notices.add(notice);
  }
}

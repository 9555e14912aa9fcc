/**
 * Keeps one salted HMAC session open for a user of the TPM (the signer, the epoch counter):
 * started on first use with the storage root key as salt key, rolled forward by every
 * response, and started again when it may be gone or out of step (a reconnect, a TPM restart,
 * a lost response, a response HMAC that does not verify). A command that failed because of its
 * session is sent once more in a new session: an HMAC-authorised command that failed
 * authorisation did not run, and one whose nonces went stale cannot be replayed.
 */
import type { TpmClient } from './client.ts';
import { flushContext } from './commands/context.ts';
import type { EccPublic } from './public-area.ts';
import { RC } from './response-code.ts';
import { AuthSession, SE, startSession } from './session.ts';
import { TpmError } from './tpm-error.ts';

const TRANSPORT = new Set(['TPM_TIMEOUT', 'TPM_TRANSPORT_CLOSED', 'TPM_TRANSPORT', 'TPM_RESPONSE_HMAC']);

/** Errors after which the session may be unusable: worth one more try in a fresh session. */
export function isSessionTrouble(e: unknown): boolean {
  if (!(e instanceof TpmError)) return false;
  if (TRANSPORT.has(e.code)) return true;
  if (e.details['session'] !== undefined) return true; // format-one error attributed to a session
  if (e.rc === RC.INITIALIZE) return true;
  return /^TPM_RC_REFERENCE_S\d$/.test(e.code);
}

export class SessionKeeper {
  private session: AuthSession | undefined;
  private starting: Promise<AuthSession> | undefined;
  /** Sessions started (the first one included): a figure for tests and logs. */
  started = 0;

  constructor(
    private readonly tpm: TpmClient,
    private readonly saltKey: { handle: number; pub: EccPublic },
  ) {}

  async current(): Promise<AuthSession> {
    const s = this.session;
    if (s && !s.stale && s.epoch === this.tpm.connectionEpoch()) return s;
    this.starting ??= this.restart(s).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async restart(old: AuthSession | undefined): Promise<AuthSession> {
    this.session = undefined;
    // A stale session on the same TPM still holds a slot (swtpm has three); after a restart it is gone anyway.
    if (old && old.epoch === this.tpm.connectionEpoch()) await flushContext(this.tpm, old.handle).catch(() => {});
    const s = await startSession(this.tpm, SE.HMAC, this.saltKey);
    this.started++;
    this.session = s;
    return s;
  }

  /** Marks the current session unusable: the next use starts a new one. */
  invalidate(): void {
    if (this.session) this.session.stale = true;
  }

  /**
   * Runs `fn` in the current session; after session trouble (or what `retryIf` adds: a key
   * handle gone after a TPM restart) once more in a new session, `beforeRetry` first.
   */
  async run<T>(fn: (s: AuthSession) => Promise<T>, opts: { retryIf?: (e: unknown) => boolean; beforeRetry?: () => Promise<void> } = {}): Promise<T> {
    const epoch = this.tpm.connectionEpoch();
    const s = await this.current();
    try {
      return await fn(s);
    } catch (e) {
      const again = isSessionTrouble(e) || epoch !== this.tpm.connectionEpoch() || (opts.retryIf?.(e) ?? false);
      if (!again) throw e;
      s.stale = true;
      if (opts.beforeRetry) await opts.beforeRetry();
      return fn(await this.current());
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s && s.epoch === this.tpm.connectionEpoch()) await flushContext(this.tpm, s.handle).catch(() => {});
  }
}

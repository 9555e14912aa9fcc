/**
 * The lineage epoch on a TPM NV counter index (TPM 2.0 Part 2 §13.2 TPM_NT_COUNTER): it can
 * only go up, even across undefine and redefine, so a restored database shows as a rollback.
 * Default index 0x01500101 (DEFAULT_EPOCH_NV_INDEX, owner-created range). The index has its
 * own authValue (AUTHWRITE|AUTHREAD, set by `keys init --tpm`, kept in the root-only tpm-auth
 * file): only a holder of it can raise or read the counter, and it does so in a salted HMAC
 * session (session.ts) so the authValue never crosses the bus. Nothing here needs owner auth.
 */
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { nvIncrement, nvName, nvReadCounter, nvReadPublic, isCounter, type NvPublic } from '../../drivers/tpm/commands/nv.ts';
import { TPMA_NV } from '../../drivers/tpm/constants.ts';
import { prepareTpm, readStorageRoot } from '../../drivers/tpm/provision.ts';
import { RC } from '../../drivers/tpm/response-code.ts';
import { SessionKeeper } from '../../drivers/tpm/session-keeper.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from './errors.ts';
import type { EpochCounter } from '../lineage/epoch.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from './tpm-key-files.ts';

export const DEFAULT_EPOCH_NV_INDEX = 0x01500101;

export interface TpmEpochOptions {
  tcti: string;
  /** Where `keys init --tpm` wrote tpm-key.json (the index and SRK) and tpm-auth (the index's auth). */
  stateDir: string;
  logger?: Logger;
  timeoutMs?: number;
}

/** An NV counter reached with its authValue in salted HMAC sessions; tracks its Name, which changes once written. */
export class NvCounterAccess {
  constructor(
    readonly tpm: TpmClient,
    private nv: NvPublic,
    private readonly auth: Uint8Array,
    readonly sessions: SessionKeeper,
  ) {}

  get nvIndex(): number {
    return this.nv.nvIndex;
  }

  async increment(): Promise<bigint> {
    await this.sessions.run(async (s) => {
      try {
        await nvIncrement(this.tpm, this.nv.nvIndex, { session: s, authValue: this.auth }, nvName(this.nv));
      } catch (e) {
        // Written by someone since we read it (our Name is out of date): refresh and let the keeper retry.
        await this.refresh();
        throw e;
      }
    });
    // Part 2 §13.4: TPMA_NV_WRITTEN is set by the first increment, and is part of the Name.
    this.nv = { ...this.nv, attributes: this.nv.attributes | TPMA_NV.WRITTEN };
    return this.read();
  }

  /** The current value; 0 before the first increment (Part 3 §31.13: TPM_RC_NV_UNINITIALIZED). */
  async read(): Promise<bigint> {
    try {
      return await this.sessions.run((s) => nvReadCounter(this.tpm, this.nv.nvIndex, { session: s, authValue: this.auth }, nvName(this.nv)));
    } catch (e) {
      if (e instanceof TpmError && e.rc === RC.NV_UNINITIALIZED) return 0n;
      throw e;
    }
  }

  private async refresh(): Promise<void> {
    this.nv = await nvReadPublic(this.tpm, this.nv.nvIndex);
  }
}

export class TpmEpochCounter implements EpochCounter {
  readonly kind = 'tpm-nv' as const;
  private closed = false;

  constructor(readonly access: NvCounterAccess, private readonly release: () => Promise<void>) {}

  get nvIndex(): number {
    return this.access.nvIndex;
  }

  async increment(): Promise<bigint> {
    this.assertOpen();
    return this.access.increment();
  }

  async read(): Promise<bigint> {
    this.assertOpen();
    return this.access.read();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.access.sessions.close();
    } finally {
      await this.release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TpmError<SigningErrorCode>('TPM_TRANSPORT_CLOSED', 'TpmEpochCounter is closed', { sent: false });
  }
}

/** Opens the counter `keys init --tpm` defined, checking it is an 8-byte counter. */
export async function openNvCounter(tpm: TpmClient, stateDir: string): Promise<NvCounterAccess> {
  const { keyFile, authFile } = tpmKeyPaths(stateDir);
  const file = readKeyFile(keyFile);
  const auth = readAuthSecrets(authFile);
  const srk = await readStorageRoot(tpm, file.srk.handle, file.srkName);
  let nv: NvPublic;
  try {
    nv = await nvReadPublic(tpm, file.nvIndex);
  } catch (e) {
    throw new TpmError<SigningErrorCode>('TPM_NOT_PROVISIONED', `no NV counter at 0x${file.nvIndex.toString(16)}: run keys init --tpm`, { nvIndex: file.nvIndex }, { cause: e });
  }
  if (!isCounter(nv) || nv.dataSize !== 8) throw new TpmError<SigningErrorCode>('TPM_NV_MISMATCH', `NV index 0x${file.nvIndex.toString(16)} is not an 8-byte counter`, { nvIndex: file.nvIndex });
  return new NvCounterAccess(tpm, nv, auth.counter, new SessionKeeper(tpm, srk));
}

export async function openTpmEpochCounter(opts: TpmEpochOptions): Promise<TpmEpochCounter> {
  const log = (opts.logger ?? silentLogger).child('tpm-epoch');
  const lease = acquireTpmClient(opts.tcti, { logger: log, timeoutMs: opts.timeoutMs });
  try {
    await prepareTpm(lease.client, log);
    return new TpmEpochCounter(await openNvCounter(lease.client, opts.stateDir), lease.release);
  } catch (e) {
    await lease.release();
    throw e;
  }
}

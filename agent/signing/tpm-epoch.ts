/**
 * The lineage epoch on a TPM NV counter index (TPM 2.0 Part 2 §13.2 TPM_NT_COUNTER): it can
 * only go up, even across undefine and redefine, so a restored database shows as a rollback.
 * Default index 0x01500101 (DEFAULT_EPOCH_NV_INDEX, owner-created range), defined when absent
 * with AUTHWRITE|AUTHREAD|NO_DA and an empty index auth.
 */
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { TpmClient } from '../../drivers/tpm/client.ts';
import { authValue } from '../../drivers/tpm/command.ts';
import { nvIncrement, nvReadCounter } from '../../drivers/tpm/commands/nv.ts';
import { ensureCounter, prepareTpm } from '../../drivers/tpm/provision.ts';
import { RC } from '../../drivers/tpm/response-code.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { EpochCounter } from '../lineage/epoch.ts';

export const DEFAULT_EPOCH_NV_INDEX = 0x01500101;

export interface TpmEpochOptions {
  tcti: string;
  nvIndex?: number;
  /** Owner authorisation, needed only to define the index. Never logged. */
  ownerAuth?: string | Uint8Array;
  logger?: Logger;
  timeoutMs?: number;
}

export class TpmEpochCounter implements EpochCounter {
  readonly kind = 'tpm-nv' as const;
  private closed = false;

  constructor(readonly tpm: TpmClient, readonly nvIndex: number, private readonly release: () => Promise<void>) {}

  async increment(): Promise<bigint> {
    this.assertOpen();
    await nvIncrement(this.tpm, this.nvIndex);
    return nvReadCounter(this.tpm, this.nvIndex);
  }

  /** The current value; 0 before the first increment (Part 3 §31.13: TPM_RC_NV_UNINITIALIZED). */
  async read(): Promise<bigint> {
    this.assertOpen();
    return readCounterOrZero(this.tpm, this.nvIndex);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  private assertOpen(): void {
    if (this.closed) throw new TpmError('TPM_TRANSPORT_CLOSED', 'TpmEpochCounter is closed', { sent: false });
  }
}

export async function readCounterOrZero(tpm: TpmClient, nvIndex: number): Promise<bigint> {
  try {
    return await nvReadCounter(tpm, nvIndex);
  } catch (e) {
    if (e instanceof TpmError && e.rc === RC.NV_UNINITIALIZED) return 0n;
    throw e;
  }
}

export async function openTpmEpochCounter(opts: TpmEpochOptions): Promise<TpmEpochCounter> {
  const log = (opts.logger ?? silentLogger).child('tpm-epoch');
  const nvIndex = opts.nvIndex ?? DEFAULT_EPOCH_NV_INDEX;
  const lease = acquireTpmClient(opts.tcti, { logger: log, timeoutMs: opts.timeoutMs });
  try {
    await prepareTpm(lease.client, log);
    await ensureCounter(lease.client, nvIndex, authValue(opts.ownerAuth), log);
    return new TpmEpochCounter(lease.client, nvIndex, lease.release);
  } catch (e) {
    await lease.release();
    throw e;
  }
}

/**
 * The TPM-backed Signer: an ECC P-256 ECDSA-SHA256 key that never leaves the TPM, created
 * once as a primary under the owner hierarchy and persisted at a handle
 * (default 0x81010001, DEFAULT_SIGNING_KEY_HANDLE). Each signature is TPM2_Sign over
 * SHA-256(message) (TPM 2.0 Part 3 §20.2), emitted as raw r || s with s normalised to low-S.
 * A lost connection (swtpm restarted, TPM reset) is reconnected by the client; the key is
 * then re-read from its persistent handle and must be the same key, or signing stops.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { authValue } from '../../drivers/tpm/command.ts';
import { flushTransientLeftovers } from '../../drivers/tpm/commands/context.ts';
import { readPublic } from '../../drivers/tpm/commands/object.ts';
import { RC } from '../../drivers/tpm/response-code.ts';
import { sign as tpmSign } from '../../drivers/tpm/commands/sign.ts';
import { isHighS, rawLowS } from '../../drivers/tpm/ecdsa.ts';
import { ensurePersistentKey, prepareTpm } from '../../drivers/tpm/provision.ts';
import { SIGNING_KEY_ATTRIBUTES, sec1FromXY } from '../../drivers/tpm/public-area.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { TpmTransport } from '../../drivers/tpm/transport.ts';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { coseKeyFromPublic } from '../encoding/cose-key.ts';
import type { Signer } from './signer.ts';

/** Default persistent handle of the device signing key (owner range, TCG Handle Registry). */
export const DEFAULT_SIGNING_KEY_HANDLE = 0x81010001;

export interface TpmSignerOptions {
  /** tpm2-tools TCTI: `swtpm:host=127.0.0.1,port=2321` or `device:/dev/tpmrm0`. */
  tcti?: string;
  /** A transport instead of a TCTI (tests wrap one to add latency or faults). */
  transport?: TpmTransport;
  handle?: number;
  /** Owner hierarchy authorisation, needed only to create and persist the key. Never logged. */
  ownerAuth?: string | Uint8Array;
  logger?: Logger;
  timeoutMs?: number;
}

export interface CoseKeyFields {
  kty: 2;
  crv: 1;
  x: Uint8Array;
  y: Uint8Array;
}

export interface TpmSignerStats {
  signatures: number;
  /** Signatures the TPM returned with s > n/2, flipped before emitting. */
  highS: number;
  /** Times the key was re-read after the client reconnected. */
  reloads: number;
  /** Times a Sign met TPM_RC_OBJECT_MEMORY and leftovers were flushed. */
  slotRecoveries: number;
}

export class TpmSigner implements Signer {
  readonly kind = 'tpm' as const;
  readonly stats: TpmSignerStats = { signatures: 0, highS: 0, reloads: 0, slotRecoveries: 0 };
  private seenEpoch: number;
  private reloading: Promise<void> | undefined;
  /** Set once the persistent handle no longer holds our key: the signer stays failed. */
  private keyLost: TpmError | undefined;
  private closed = false;

  constructor(
    readonly tpm: TpmClient,
    readonly handle: number,
    private readonly pub: Uint8Array,
    private readonly release: () => Promise<void>,
    private readonly log: Logger,
  ) {
    this.seenEpoch = tpm.connectionEpoch();
  }

  async publicKey(): Promise<Uint8Array> {
    return this.pub.slice();
  }

  /** The public key's COSE_Key fields (RFC 9053 §7.1.1: kty EC2 = 2, crv P-256 = 1). */
  publicKeyCose(): CoseKeyFields {
    return { kty: 2, crv: 1, x: this.pub.slice(1, 33), y: this.pub.slice(33, 65) };
  }

  /** The public key as a COSE_Key map ({1: 2, -1: 1, -2: x, -3: y}). */
  publicKeyCoseKey(): Map<CborMapKey, CborValue> {
    return coseKeyFromPublic(this.pub);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new TpmError('TPM_TRANSPORT_CLOSED', 'TpmSigner is closed', { sent: false });
    if (this.keyLost) throw this.keyLost;
    const digest = sha256(message);
    let sig;
    try {
      sig = await this.signDigest(digest);
    } catch (e) {
      // A failure right after a reconnect may mean another key sits at our handle: say so.
      await this.checkKeyIfReconnected();
      throw e;
    }
    await this.checkKeyIfReconnected();
    this.stats.signatures++;
    if (isHighS(sig)) this.stats.highS++;
    return rawLowS(sig);
  }

  /**
   * TPM2_Sign on a persistent key still needs a free object slot inside the TPM: objects
   * leaked by others (tools without a resource manager) give TPM_RC_OBJECT_MEMORY. We hold no
   * transient objects between commands, so the leftovers are flushed and the Sign sent again.
   */
  private async signDigest(digest: Uint8Array) {
    try {
      return await tpmSign(this.tpm, this.handle, digest);
    } catch (e) {
      if (!(e instanceof TpmError && e.rc === RC.OBJECT_MEMORY)) throw e;
      const flushed = await flushTransientLeftovers(this.tpm);
      this.stats.slotRecoveries++;
      this.log.warn('TPM object memory full during Sign; flushed leftover transient objects', { count: flushed.length });
      return await tpmSign(this.tpm, this.handle, digest);
    }
  }

  /** Every signature made around a reconnect waits for the key check before it is emitted. */
  private async checkKeyIfReconnected(): Promise<void> {
    if (this.tpm.connectionEpoch() !== this.seenEpoch) {
      this.seenEpoch = this.tpm.connectionEpoch();
      this.reloading = this.reload().finally(() => (this.reloading = undefined));
    }
    if (this.reloading) await this.reloading;
  }

  /** After a reconnect the TPM may be another instance: the handle must still hold our key. */
  private async reload(): Promise<void> {
    this.stats.reloads++;
    const key = await readPublic(this.tpm, this.handle);
    const now = sec1FromXY(key.pub.x, key.pub.y);
    if (Buffer.compare(Buffer.from(now), Buffer.from(this.pub)) !== 0) {
      this.keyLost = new TpmError('TPM_KEY_MISMATCH', `after reconnecting, handle 0x${this.handle.toString(16)} holds a different key; refusing to sign`, { handle: this.handle });
      this.log.error(this.keyLost.message, { handle: '0x' + this.handle.toString(16) });
      throw this.keyLost;
    }
    this.log.info('TPM reconnected; signing key reloaded from its persistent handle', { handle: '0x' + this.handle.toString(16) });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}

export async function openTpmSigner(opts: TpmSignerOptions): Promise<TpmSigner> {
  const log = (opts.logger ?? silentLogger).child('tpm-signer');
  const handle = opts.handle ?? DEFAULT_SIGNING_KEY_HANDLE;
  let tpm: TpmClient;
  let release: () => Promise<void>;
  if (opts.transport) {
    const client = new TpmClient(opts.transport, { logger: log, timeoutMs: opts.timeoutMs });
    tpm = client;
    release = () => client.close();
  } else if (opts.tcti) {
    const lease = acquireTpmClient(opts.tcti, { logger: log, timeoutMs: opts.timeoutMs });
    tpm = lease.client;
    release = lease.release;
  } else {
    throw new TpmError('TPM_CONFIG', 'openTpmSigner needs a tcti or a transport', { field: 'tcti' });
  }
  try {
    await prepareTpm(tpm, log);
    const { key, created } = await ensurePersistentKey(tpm, handle, SIGNING_KEY_ATTRIBUTES, authValue(opts.ownerAuth), log);
    log.info(created ? 'TPM signing key created and persisted' : 'TPM signing key loaded', { handle: '0x' + handle.toString(16) });
    return new TpmSigner(tpm, handle, sec1FromXY(key.pub.x, key.pub.y), release, log);
  } catch (e) {
    await release();
    throw e;
  }
}

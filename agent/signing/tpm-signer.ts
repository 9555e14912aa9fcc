/**
 * The TPM-backed Signer: an ECC P-256 ECDSA-SHA256 key that never leaves the TPM. It is an
 * ordinary key under the storage root key (SRK), made once by `keys init --tpm` with an
 * authValue (32 random bytes in the root-only `tpm-auth` file) and loaded at start from its
 * saved public and private blobs (`tpm-key.json`); nothing here needs the owner auth.
 *
 * Every TPM2_Sign (Part 3 §20.2) runs in a salted HMAC session (session.ts) whose salt only
 * the SRK can recover: the key's authValue is never on the bus (it keys the HMAC), the digest
 * to sign crosses it encrypted (AES-128-CFB, the session's decrypt attribute), and each
 * response's HMAC is checked, so a bus interposer can neither sign nor forge an answer.
 * Signatures are emitted as raw r || s with s normalised to low-S.
 *
 * After a reconnect or a TPM restart the key is loaded again under the SRK, whose Name must
 * be the one recorded at provisioning, and the session is started again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import { TpmClient } from '../../drivers/tpm/client.ts';
import { flushContext, flushTransientLeftovers } from '../../drivers/tpm/commands/context.ts';
import { loadKey, parsePublicArea, type KeyBlobs } from '../../drivers/tpm/commands/keys.ts';
import { sign as tpmSign } from '../../drivers/tpm/commands/sign.ts';
import { isHighS, rawLowS } from '../../drivers/tpm/ecdsa.ts';
import { prepareTpm, readStorageRoot, type StorageRoot } from '../../drivers/tpm/provision.ts';
import { matchesTemplate, SIGNING_KEY_ATTRIBUTES, sec1FromXY } from '../../drivers/tpm/public-area.ts';
import { RC } from '../../drivers/tpm/response-code.ts';
import { SessionKeeper } from '../../drivers/tpm/session-keeper.ts';
import { acquireTpmClient } from '../../drivers/tpm/shared-client.ts';
import { TpmError } from '../../drivers/tpm/tpm-error.ts';
import type { SigningErrorCode } from './errors.ts';
import type { TpmTransport } from '../../drivers/tpm/transport.ts';
import type { CborMapKey, CborValue } from '../encoding/cbor-value.ts';
import { coseKeyFromPublic } from '../encoding/cose-key.ts';
import type { Signer } from '../../core/ports/signer.ts';
import { readAuthSecrets, readKeyFile, tpmKeyPaths } from './tpm-key-files.ts';

export interface TpmSignerOptions {
  /** tpm2-tools TCTI: `swtpm:host=127.0.0.1,port=2321` or `device:/dev/tpmrm0`. */
  tcti?: string;
  /** A transport instead of a TCTI (tests wrap one to capture bytes or add latency). */
  transport?: TpmTransport;
  /** Where `keys init --tpm` wrote tpm-key.json and tpm-auth. */
  stateDir: string;
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
  /** Times the key was loaded again after a reconnect or TPM restart. */
  reloads: number;
  /** Times TPM_RC_OBJECT_MEMORY was met and others' leftover objects were flushed. */
  slotRecoveries: number;
}

/** A key handle that no longer exists (TPM restarted, flushed by someone): load it again. */
function isKeyGone(e: unknown): boolean {
  return e instanceof TpmError && (e.code === 'TPM_RC_REFERENCE_H0' || (e.code === 'TPM_RC_HANDLE' && e.details['handle'] === 1));
}

export class TpmSigner implements Signer {
  readonly kind = 'tpm' as const;
  readonly stats: TpmSignerStats = { signatures: 0, highS: 0, reloads: 0, slotRecoveries: 0 };
  readonly sessions: SessionKeeper;
  private loaded: { handle: number; epoch: number; stale?: boolean } | undefined;
  private loading: Promise<number> | undefined;
  private closed = false;

  constructor(
    readonly tpm: TpmClient,
    private srk: StorageRoot,
    private readonly blobs: KeyBlobs,
    private readonly keyName: Uint8Array,
    private readonly pub: Uint8Array,
    private readonly keyAuth: Uint8Array,
    private readonly release: () => Promise<void>,
    private readonly log: Logger,
  ) {
    this.sessions = new SessionKeeper(tpm, srk);
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

  /** The transient handle the key is loaded at (loading it if needed). */
  async keyHandle(): Promise<number> {
    const l = this.loaded;
    if (l && !l.stale && l.epoch === this.tpm.connectionEpoch()) return l.handle;
    this.loading ??= this.load(l).finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(previous: { handle: number; epoch: number } | undefined): Promise<number> {
    this.loaded = undefined;
    // A copy still loaded in this same TPM (the retry was for another reason) would hold a slot for nothing.
    if (previous && previous.epoch === this.tpm.connectionEpoch()) await flushContext(this.tpm, previous.handle).catch(() => {});
    // After a reconnect the TPM may be another one: the SRK must still be ours.
    this.srk = await readStorageRoot(this.tpm, this.srk.handle, this.srk.name);
    const epoch = this.tpm.connectionEpoch();
    const k = await this.withSlotRecovery(() => loadKey(this.tpm, this.srk, new Uint8Array(0), this.blobs));
    if (!Buffer.from(k.name).equals(Buffer.from(this.keyName))) {
      await flushContext(this.tpm, k.handle).catch(() => {});
      throw new TpmError<SigningErrorCode>('TPM_KEY_MISMATCH', 'the TPM loaded a key whose Name is not the one in tpm-key.json', {});
    }
    if (previous) {
      this.stats.reloads++;
      this.log.info('TPM signing key loaded again after a reconnect', { handle: '0x' + k.handle.toString(16) });
    }
    this.loaded = { handle: k.handle, epoch };
    return k.handle;
  }

  /**
   * Objects leaked by others (tools without a resource manager) fill swtpm's three slots and
   * give TPM_RC_OBJECT_MEMORY: those are flushed (never our own key) and the command sent again.
   */
  private async withSlotRecovery<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof TpmError && e.rc === RC.OBJECT_MEMORY)) throw e;
      const keep = this.loaded && this.loaded.epoch === this.tpm.connectionEpoch() ? [this.loaded.handle] : [];
      const flushed = await flushTransientLeftovers(this.tpm, keep);
      this.stats.slotRecoveries++;
      this.log.warn('TPM object memory full; flushed leftover transient objects', { count: flushed.length });
      return await fn();
    }
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new TpmError<SigningErrorCode>('TPM_TRANSPORT_CLOSED', 'TpmSigner is closed', { sent: false });
    const digest = sha256(message);
    const sig = await this.withSlotRecovery(() =>
      this.sessions.run(
        async (s) => tpmSign(this.tpm, await this.keyHandle(), digest, { session: s, authValue: this.keyAuth, decrypt: true }, this.keyName),
        {
          retryIf: isKeyGone,
          beforeRetry: async () => {
            // Loaded again on the next use, counted as a reload.
            if (this.loaded) this.loaded = { ...this.loaded, stale: true };
          },
        },
      ),
    );
    this.stats.signatures++;
    if (isHighS(sig)) this.stats.highS++;
    return rawLowS(sig);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.sessions.close();
      const l = this.loaded;
      this.loaded = undefined;
      // swtpm keeps transient objects after our connection closes: give the slot back.
      if (l && l.epoch === this.tpm.connectionEpoch()) await flushContext(this.tpm, l.handle).catch(() => {});
    } finally {
      await this.release();
    }
  }
}

export async function openTpmSigner(opts: TpmSignerOptions): Promise<TpmSigner> {
  const log = (opts.logger ?? silentLogger).child('tpm-signer');
  const { keyFile, authFile } = tpmKeyPaths(opts.stateDir);
  const file = readKeyFile(keyFile);
  const auth = readAuthSecrets(authFile);
  const { pub, name } = parsePublicArea(file.blobs.signingKey.publicArea);
  if (!matchesTemplate(pub, SIGNING_KEY_ATTRIBUTES)) throw new TpmError<SigningErrorCode>('TPM_KEY_MISMATCH', `${keyFile}: the signing key is not a fixedTPM P-256 ECDSA-SHA256 signing key`, {});
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
    throw new TpmError<SigningErrorCode>('TPM_CONFIG', 'openTpmSigner needs a tcti or a transport', { field: 'tcti' });
  }
  let signer: TpmSigner | undefined;
  try {
    await prepareTpm(tpm, log);
    const srk = await readStorageRoot(tpm, file.srk.handle, file.srkName);
    signer = new TpmSigner(tpm, srk, file.blobs.signingKey, name, sec1FromXY(pub.x, pub.y), auth.signingKey, release, log);
    await signer.keyHandle();
    log.info('TPM signing key loaded', { srk: '0x' + srk.handle.toString(16) });
    return signer;
  } catch (e) {
    if (signer) await signer.close().catch(() => {});
    else await release().catch(() => {});
    throw e;
  }
}

/**
 * What signs observations, credentials and grants. Implementations: software (a P-256 key
 * file) and TPM (a key that never leaves the chip). Every Signer passes the contract suite in
 * test/contract/signer.contract.ts.
 *
 * Optional members are capabilities a signer declares by having them; callers test for the
 * member, never cast to find it.
 */
export interface Signer {
  readonly kind: 'software' | 'tpm';
  /** The P-256 public key, uncompressed SEC1 (0x04 || X || Y, 65 bytes). */
  publicKey(): Promise<Uint8Array>;
  /**
   * ES256 over `message` (RFC 9053 §2.1: ECDSA P-256 with SHA-256 of the message).
   * Returns raw r || s, 64 bytes, with s normalised to low-S (s <= n/2).
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /**
   * The same for a batch, signatures in message order, each checked before it is returned;
   * all or nothing. Signers that can sign in parallel provide it (software: signing-pool.ts).
   */
  signMany?(messages: Uint8Array[]): Promise<Uint8Array[]>;
  close(): Promise<void>;
  /** Capability: the same signature on the calling thread, for signers that can (a software key). */
  signSync?(message: Uint8Array): Uint8Array;
  /** Capability: many signatures at once, spread over threads (a software key's signing pool). */
  signMany?(messages: Uint8Array[]): Promise<Uint8Array[]>;
  /** Capability: what the self-check of batch signatures has seen so far (a software key's signing pool). */
  selfCheckStats?(): SignerSelfCheckStats;
  /** Capability: the signer's own error counts by code since it was opened (a software key's signing pool). */
  errorCounts?(): Record<string, number>;
}

/** Counts since the signer was opened. */
export interface SignerSelfCheckStats {
  /** Signatures verified against the public key before they were returned. */
  checked: number;
  /** Signatures that failed that check and were made again, good. */
  repaired: number;
  /** Batches refused because a signature failed its check twice (nothing of them was returned). */
  refusedBatches: number;
}

/**
 * The monotonic epoch counter of the lineage (DESIGN.md, "Lineage"): raised at every start and
 * every checkpoint, never goes back, so a verifier can see a restored or rolled-back database.
 * Implementations: a file counter next to the software key, the TPM NV counter.
 */
export interface EpochCounter {
  readonly kind: 'file' | 'tpm-nv';
  /** Raises the counter by one and returns the new value. */
  increment(): Promise<bigint>;
  /** The current value without raising it. */
  read(): Promise<bigint>;
  close(): Promise<void>;
}

/**
 * The one binding interface between the TPM client and a TPM: send one command's bytes,
 * get one response's bytes. Implementations: swtpm's raw TCP data socket
 * (socket-transport.ts) and a kernel character device (device-transport.ts). Tests wrap a
 * transport to add latency or faults.
 */
export interface TpmTransport {
  readonly description: string;
  /**
   * Sends one complete command and resolves with one complete response (its size field
   * satisfied). Rejects with a TpmError whose `details.sent` says whether any command byte
   * may have reached the TPM: TPM_TIMEOUT, TPM_TRANSPORT_CLOSED, TPM_TRANSPORT.
   */
  transmit(command: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Drops the current connection; the next transmit opens a new one. */
  reset(): Promise<void>;
  close(): Promise<void>;
  /**
   * How many connections this transport has opened. A change means the TPM on the other
   * side may have restarted (transient objects gone, persistent handles to re-check).
   */
  readonly connections?: number;
}

/** TPM 2.0 Part 1 §18.2: every response starts with tag u16 and size u32 (the whole response). */
export const HEADER_SIZE = 10;

export function responseSize(buf: Uint8Array): number | undefined {
  if (buf.length < 6) return undefined;
  return ((buf[2]! << 24) | (buf[3]! << 16) | (buf[4]! << 8) | buf[5]!) >>> 0;
}

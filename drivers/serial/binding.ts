/**
 * The smallest surface a driver needs from a byte link (after node-serialport's
 * BindingInterface): open, read via callback, write, close, and a close notification that
 * tells a vanished port (USB unplugged, pty closed) from an orderly close. Implementations:
 * node-serialport (real ports and ptys), TCP (ser2net style) and a mock for unit tests.
 */
export interface ByteLink {
  /** Human-readable endpoint, e.g. `/dev/serial/by-id/usb-...` or `tcp://10.0.0.5:4001`. */
  readonly endpoint: string;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** Called with each chunk as it arrives. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the link closes; `error` is set when it vanished rather than being closed. */
  onClose(listener: (error?: Error) => void): void;
  /** Optional modem-line control (DTR toggling resets many MCUs). */
  setSignals?(signals: { dtr?: boolean; rts?: boolean }): Promise<void>;
}

export interface ByteLinkOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

import type { ByteLink } from './binding.ts';

/**
 * An in-memory ByteLink for unit tests (after @serialport/binding-mock): the test feeds bytes
 * with `receive`, pulls the plug with `vanish`, makes opens fail with `failOpens`, and reads
 * what the driver wrote from `written`.
 */
export class MockLink implements ByteLink {
  readonly written: Uint8Array[] = [];
  opens = 0;
  private open_ = false;
  private failNext: Error[] = [];
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];

  constructor(readonly endpoint = 'mock://0') {}

  get isOpen(): boolean {
    return this.open_;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** The next `n` opens fail with `error` (default ENOENT, as for an unplugged by-id link). */
  failOpens(n: number, error: Error = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' })): void {
    for (let i = 0; i < n; i++) this.failNext.push(error);
  }

  async open(): Promise<void> {
    this.opens++;
    const err = this.failNext.shift();
    if (err) throw err;
    this.open_ = true;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open_) throw new Error(`${this.endpoint} is not open`);
    this.written.push(bytes.slice());
  }

  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closeListeners) l(undefined);
  }

  /** Bytes arrive from the device. Ignored while closed, as a real port would. */
  receive(bytes: Uint8Array | string): void {
    if (!this.open_) return;
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    for (const l of this.dataListeners) l(b);
  }

  /** The port disappears (USB unplugged): closes with an EIO error. */
  vanish(error: Error = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })): void {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closeListeners) l(error);
  }
}

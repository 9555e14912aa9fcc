/**
 * Two in-memory ByteLinks wired back to back (host end, MCU end), for unit tests with the
 * mock MCU. Bytes are delivered asynchronously, as a UART would, and each direction passes
 * through an optional `tamper` hook so a test can drop, duplicate or corrupt bytes.
 */
import type { ByteLink } from '../../drivers/serial/binding.ts';

export type Tamper = (bytes: Uint8Array) => Uint8Array;

class MemoryEnd implements ByteLink {
  peer!: MemoryEnd;
  tamper: Tamper | undefined;
  opens = 0;
  signals: Array<{ dtr?: boolean; rts?: boolean }> = [];
  private open_ = false;
  private readonly dataListeners: Array<(c: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(e?: Error) => void> = [];

  constructor(readonly endpoint: string) {}

  get isOpen(): boolean {
    return this.open_;
  }
  async open(): Promise<void> {
    this.opens++;
    this.open_ = true;
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open_) throw new Error(`${this.endpoint} is not open`);
    const out = this.tamper ? this.tamper(bytes.slice()) : bytes.slice();
    const peer = this.peer;
    setImmediate(() => {
      if (peer.open_ && out.length > 0) for (const l of peer.dataListeners) l(out);
    });
  }
  async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closeListeners) l(undefined);
  }
  onData(listener: (c: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (e?: Error) => void): void {
    this.closeListeners.push(listener);
  }
  async setSignals(s: { dtr?: boolean; rts?: boolean }): Promise<void> {
    this.signals.push(s);
  }
  /** The port disappears (USB unplugged). */
  vanish(): void {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closeListeners) l(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
  }
}

export type MemoryLink = MemoryEnd;

export function createMemoryLinkPair(): { host: MemoryLink; mcu: MemoryLink } {
  const host = new MemoryEnd('memory://host');
  const mcu = new MemoryEnd('memory://mcu');
  host.peer = mcu;
  mcu.peer = host;
  return { host, mcu };
}

import type { ByteLink } from '../../../drivers/serial/binding.ts';

/** In-memory ByteLink for unit tests: `feed` plays the device, `written` records what the driver sent. */
export class MockLink implements ByteLink {
  readonly endpoint = 'mock://link';
  isOpen = false;
  opens = 0;
  readonly written: Uint8Array[] = [];
  private dataListeners: ((c: Uint8Array) => void)[] = [];
  private closeListeners: ((e?: Error) => void)[] = [];

  async open(): Promise<void> {
    this.isOpen = true;
    this.opens++;
  }
  async write(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes);
  }
  async close(): Promise<void> {
    this.isOpen = false;
    for (const l of this.closeListeners) l();
  }
  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }
  feed(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    for (const l of this.dataListeners) l(bytes);
  }
  vanish(): void {
    this.isOpen = false;
    for (const l of this.closeListeners) l(new Error('device vanished'));
  }
}

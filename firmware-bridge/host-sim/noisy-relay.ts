/**
 * A cable the test controls: forwards bytes between two ptys and, per mode, flips bits,
 * drops or duplicates bytes, or garbles everything the way a UART at the wrong baud rate
 * does (ptys have no baud rate, so the mismatch is simulated here: every byte comes out as
 * a different byte and some split in two, which is what sampling at the wrong rate yields).
 * Randomness is seeded so a run repeats.
 */
import { SerialPortLink } from '../../drivers/serial/serialport-link.ts';

export type RelayMode = 'pass' | 'noise' | 'drop' | 'duplicate' | 'garble';

export interface RelayStats {
  forwarded: number;
  flipped: number;
  dropped: number;
  duplicated: number;
  garbled: number;
}

export class NoisyRelay {
  mode: RelayMode = 'pass';
  /** Probability per byte for noise/drop/duplicate. */
  rate = 0.01;
  readonly stats: RelayStats = { forwarded: 0, flipped: 0, dropped: 0, duplicated: 0, garbled: 0 };
  private readonly hostSide: SerialPortLink;
  private readonly mcuSide: SerialPortLink;
  private state: number;

  constructor(hostSidePath: string, mcuSidePath: string, seed = 1) {
    this.hostSide = new SerialPortLink({ path: hostSidePath, baudRate: 115200 });
    this.mcuSide = new SerialPortLink({ path: mcuSidePath, baudRate: 115200 });
    this.state = seed >>> 0 || 1;
    this.hostSide.onData((c) => this.forward(c, this.mcuSide));
    this.mcuSide.onData((c) => this.forward(c, this.hostSide));
  }

  async open(): Promise<void> {
    await this.hostSide.open();
    await this.mcuSide.open();
  }

  async close(): Promise<void> {
    await this.hostSide.close();
    await this.mcuSide.close();
  }

  set(mode: RelayMode, rate = this.rate): void {
    this.mode = mode;
    this.rate = rate;
  }

  /** xorshift32 (Marsaglia 2003), in [0, 1). */
  private rnd(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  private forward(chunk: Uint8Array, to: SerialPortLink): void {
    const out: number[] = [];
    for (const b of chunk) {
      switch (this.mode) {
        case 'pass':
          out.push(b);
          break;
        case 'noise':
          if (this.rnd() < this.rate) {
            out.push(b ^ (1 << Math.floor(this.rnd() * 8)));
            this.stats.flipped++;
          } else out.push(b);
          break;
        case 'drop':
          if (this.rnd() < this.rate) this.stats.dropped++;
          else out.push(b);
          break;
        case 'duplicate':
          out.push(b);
          if (this.rnd() < this.rate) {
            out.push(b);
            this.stats.duplicated++;
          }
          break;
        case 'garble':
          this.stats.garbled++;
          out.push(((b * 0x9d) ^ 0x5a) & 0xff);
          if (this.rnd() < 0.3) out.push(b >> 3);
          break;
      }
    }
    this.stats.forwarded += out.length;
    if (out.length > 0 && to.isOpen) to.write(Uint8Array.from(out)).catch(() => {});
  }
}

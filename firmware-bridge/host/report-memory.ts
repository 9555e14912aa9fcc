/** Small state McuSource keeps: which reports it already emitted, and sleeps stop() can cut short. */

/**
 * Seqs of SENSOR_REPORTs already handed on for the current boot id, the last 256 of them
 * (a retransmission repeats a recent seq; the MCU's seq is 16 bits and wraps).
 */
export class SeenReports {
  private bootId = -1;
  private readonly seqs = new Set<number>();
  private readonly order: number[] = [];

  constructor(private readonly limit = 256) {}

  /** A new boot starts a new seq space. */
  forBoot(bootId: number): void {
    if (bootId === this.bootId) return;
    this.bootId = bootId;
    this.seqs.clear();
    this.order.length = 0;
  }

  has(seq: number): boolean {
    return this.seqs.has(seq);
  }

  remember(seq: number): void {
    this.seqs.add(seq);
    this.order.push(seq);
    if (this.order.length > this.limit) this.seqs.delete(this.order.shift()!);
  }
}

/** Timed waits that all end at once on wakeAll() (the source stopping). */
export class InterruptibleSleep {
  private readonly wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }
}

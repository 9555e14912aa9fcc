/** Closes what a rig or a scene opened, last first, whatever fails on the way. */
export class Teardown {
  private readonly steps: Array<() => Promise<void> | void> = [];
  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length) {
      try {
        await this.steps.pop()!();
      } catch {
        // Keep closing the rest: a device that is already gone must not leave the others running.
      }
    }
  }
}

/**
 * Wall-clock steps (an NTP correction, an RTC set) seen between two looks: the wall clock moved
 * by more than the monotonic clock did. The agent records each as a `time` observation
 * (DESIGN.md, "Failure semantics": seq, not wall time, orders the chain).
 */
import type { Clock } from '../../core/clock.ts';

export class ClockStepWatch {
  private lastWall: number | undefined;
  private lastMono: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly thresholdMs = 1000,
  ) {}

  /** The step since the last look, when it exceeds the threshold: its size and the expected and actual wall times. */
  check(): { step_ms: number; before: number; after: number } | undefined {
    const wall = this.clock.now();
    const mono = performance.now();
    let out;
    if (this.lastWall !== undefined && this.lastMono !== undefined) {
      const step = wall - this.lastWall - (mono - this.lastMono);
      if (Math.abs(step) > this.thresholdMs) out = { step_ms: Math.round(step), before: Math.round(this.lastWall + (mono - this.lastMono)), after: wall };
    }
    this.lastWall = wall;
    this.lastMono = mono;
    return out;
  }
}

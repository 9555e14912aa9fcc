import { AisError, AisErrorCode } from './errors.ts';
import type { AisMessage } from './messages/types.ts';

/**
 * gpsd reports a Class B static data report (type 24) once both parts have arrived:
 * part A (name) is held until part B (type, call sign, dimensions) from the same MMSI
 * completes it. A part B with no part A is reported as unpaired. Held parts are bounded.
 */
export class AisType24Merger {
  private readonly partA = new Map<number, AisMessage>();

  constructor(private readonly maxHeld = 256) {}

  /** Returns the merged message, `undefined` when part A was held, or an error for an unpaired part B. */
  push(m: AisMessage): AisMessage | AisError | undefined {
    if (m.partno === 0) {
      this.partA.delete(m.mmsi);
      if (this.partA.size >= this.maxHeld) {
        const oldest = this.partA.keys().next().value as number;
        this.partA.delete(oldest);
      }
      this.partA.set(m.mmsi, m);
      return undefined;
    }
    const a = this.partA.get(m.mmsi);
    if (!a) return new AisError(AisErrorCode.Type24Unpaired, `type 24 part B from ${m.mmsi} without part A`, { mmsi: m.mmsi });
    this.partA.delete(m.mmsi);
    const { partno: _a, ...restA } = a;
    const { partno: _b, ...restB } = m;
    return { ...restA, ...restB } as AisMessage;
  }

  get held(): number {
    return this.partA.size;
  }
}

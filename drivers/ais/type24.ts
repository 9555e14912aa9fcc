import { AisError, AisErrorCode } from './errors.ts';
import type { AisMessage } from './messages/types.ts';

/** Part A slots per channel: gpsd 3.22 keeps 8 (MAX_TYPE24_INTERLEAVE) and so do we. */
export const TYPE24_RING_SIZE = 8;

/**
 * gpsd reports a Class B static data report (type 24) once both parts have arrived: part A
 * (name) waits in a ring of 8 slots per radio channel until part B (type, call sign,
 * dimensions) from the same MMSI on the same channel completes it. Like gpsd, a part A is
 * overwritten when its channel has received 8 newer ones, and a matched slot is cleared so a
 * repeated part B does not pair twice. A part B with no part A, and a part A overwritten
 * before its part B came, are reported as AIS_TYPE24_UNPAIRED, never dropped silently.
 */
export class AisType24Merger {
  private readonly rings = new Map<string, { slots: Array<AisMessage | undefined>; next: number }>();

  /** Returns the merged message, `undefined` when part A was held, or errors (unpaired part B, overwritten part A). */
  push(m: AisMessage, channel = ''): AisMessage | AisError | undefined {
    const ring = this.ring(channelKey(channel));
    if (m.partno === 0) {
      const evicted = ring.slots[ring.next];
      ring.slots[ring.next] = m;
      ring.next = (ring.next + 1) % TYPE24_RING_SIZE;
      if (evicted === undefined) return undefined;
      return new AisError(AisErrorCode.Type24Unpaired, `type 24 part A from ${evicted.mmsi} overwritten before its part B (${TYPE24_RING_SIZE} newer on its channel)`, {
        mmsi: evicted.mmsi,
        part: 'A',
      });
    }
    const i = ring.slots.findIndex((a) => a !== undefined && a.mmsi === m.mmsi);
    if (i < 0) return new AisError(AisErrorCode.Type24Unpaired, `type 24 part B from ${m.mmsi} without part A`, { mmsi: m.mmsi, part: 'B' });
    const a = ring.slots[i]!;
    ring.slots[i] = undefined;
    const { partno: _a, ...restA } = a;
    const { partno: _b, ...restB } = m;
    return { ...restA, ...restB } as AisMessage;
  }

  /** Part A messages waiting for their part B, over all channels. */
  get held(): number {
    let n = 0;
    for (const r of this.rings.values()) for (const s of r.slots) if (s !== undefined) n++;
    return n;
  }

  private ring(key: string): { slots: Array<AisMessage | undefined>; next: number } {
    let r = this.rings.get(key);
    if (r === undefined) {
      // Channels are A, B (or 1, 2, or empty), plus C/D on some base stations: a handful at most.
      r = { slots: new Array<AisMessage | undefined>(TYPE24_RING_SIZE).fill(undefined), next: 0 };
      this.rings.set(key, r);
    }
    return r;
  }
}

/**
 * gpsd's channel mapping (drivers.c, aivdm_decode): empty, '1' and 'A' share channel A's
 * context, '2' and 'B' channel B's. Other letters get their own ring here (gpsd drops them).
 */
function channelKey(channel: string): string {
  if (channel === '' || channel === '1' || channel === 'A') return 'A';
  if (channel === '2' || channel === 'B') return 'B';
  return channel;
}

import type { Clock } from '../../core/clock.ts';

export interface TagRead {
  tag: string;
  /** Reader id, with the antenna port when the reader has several. */
  reader: string;
  antenna?: number;
  rssi?: number;
}

/** A tag seen continuously (no gap longer than the hold time) by one reader antenna. */
export interface Sighting {
  tag: string;
  reader: string;
  antenna?: number;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** Strongest RSSI of the sighting, dBm, when the reader reports it. */
  rssi?: number;
  state: 'open' | 'closed';
}

export interface SightingChange {
  opened?: Sighting;
  closed: Sighting[];
}

/**
 * Debounces raw reads (a reader repeats a tag many times a second) into sightings. A
 * sighting opens on the first read and closes once the tag has not been read for `holdMs`.
 * Time comes from the injected clock; call `expire()` periodically to close quiet sightings.
 */
export class SightingDebouncer {
  private readonly open = new Map<string, Sighting>();

  constructor(
    private readonly clock: Clock,
    private readonly holdMs: number,
  ) {}

  read(r: TagRead): SightingChange {
    const now = this.clock.now();
    const closed = this.expire();
    const key = `${r.reader}\u0000${r.antenna ?? ''}\u0000${r.tag}`;
    const s = this.open.get(key);
    if (s) {
      s.lastSeen = now;
      s.count++;
      if (r.rssi !== undefined) s.rssi = s.rssi === undefined ? r.rssi : Math.max(s.rssi, r.rssi);
      return { closed };
    }
    const opened: Sighting = {
      tag: r.tag,
      reader: r.reader,
      ...(r.antenna !== undefined ? { antenna: r.antenna } : {}),
      firstSeen: now,
      lastSeen: now,
      count: 1,
      ...(r.rssi !== undefined ? { rssi: r.rssi } : {}),
      state: 'open',
    };
    this.open.set(key, opened);
    return { opened: { ...opened }, closed };
  }

  /** Closes and returns sightings whose tag has been quiet for longer than the hold time. */
  expire(): Sighting[] {
    const now = this.clock.now();
    const closed: Sighting[] = [];
    for (const [k, s] of this.open) {
      if (now - s.lastSeen > this.holdMs) {
        this.open.delete(k);
        closed.push({ ...s, state: 'closed' });
      }
    }
    return closed;
  }

  /** Closes everything (source stopping). */
  closeAll(): Sighting[] {
    const all = [...this.open.values()].map((s) => ({ ...s, state: 'closed' as const }));
    this.open.clear();
    return all;
  }

  openSightings(): Sighting[] {
    return [...this.open.values()].map((s) => ({ ...s }));
  }
}

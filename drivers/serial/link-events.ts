import type { ByteLink } from './binding.ts';
import type { ReconnectingLink } from './reconnecting-link.ts';

/** What a source needs to hear about its port. */
export interface LinkEvents {
  /** An open port was lost: it vanished, its path moved or went away, or it was recycled for silence. */
  lost(reason: string): void;
  /** The port is open: `again` after a loss, otherwise for the first time since it appeared. */
  opened(again: boolean): void;
  /** The final, orderly `close()`. */
  closed(): void;
}

/** A bare link, or a supervisor that reports its own losses (ReconnectingLink). */
export type WatchedLink = ByteLink & Partial<Pick<ReconnectingLink, 'onStateChange' | 'health'>>;

/**
 * Tells a source about its port the same way whatever the link is. A ReconnectingLink
 * reopens by itself and reports a loss only as a state change (its onClose hears only the
 * final close); a bare link reports a loss as a close with an error and stays closed.
 */
export function watchLink(link: WatchedLink, events: LinkEvents): void {
  link.onClose((error) => (error ? events.lost(error.message) : events.closed()));
  if (!link.onStateChange) return;
  let was = link.health?.().state ?? 'idle';
  let everOpen = was === 'open' || was === 'stale';
  link.onStateChange((now) => {
    const before = was;
    was = now;
    if (now === 'down' && (before === 'open' || before === 'stale')) {
      events.lost(link.health?.().lastError ?? `${link.endpoint} went down`);
    } else if (now === 'open' && before === 'connecting') {
      events.opened(everOpen);
      everOpen = true;
    }
  });
}

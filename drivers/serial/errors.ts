/** Stable reasons the port supervisor (reconnecting-link.ts) counts; the codes never change meaning. */
export const SerialErrorCode = {
  /** An open attempt failed: the path does not resolve (unplugged) or the port would not open. */
  OpenFailed: 'SERIAL_OPEN_FAILED',
  /** An open port was lost, whichever noticed first: a close with an error, or the watchdog finding its path gone. */
  Vanished: 'SERIAL_VANISHED',
  /** Silent past `staleAfterMs` while open. */
  Stale: 'SERIAL_STALE',
  /** A stale port closed and reopened (`reopenWhenStale`). */
  StaleReopen: 'SERIAL_STALE_REOPEN',
  /** The configured path now points at another device node: the old fd was dropped and the port reopened. */
  PathMoved: 'SERIAL_PATH_MOVED',
  /** The configured path no longer resolves while the port was open (counted with SERIAL_VANISHED). */
  PathGone: 'SERIAL_PATH_GONE',
  /** The supervisor's own step threw (a bug, or a listener of its state changes threw): counted and logged at error; it goes on reopening. */
  Internal: 'SERIAL_INTERNAL',
  /** A write while no port is open (thrown, not counted). */
  NotOpen: 'SERIAL_NOT_OPEN',
} as const;
export type SerialErrorCode = (typeof SerialErrorCode)[keyof typeof SerialErrorCode];

/** Stable codes of the observation store (SQLite); a code never changes meaning once released. */
export const StoreErrorCode = {
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_FULL: 'STORE_FULL',
  STORE_IN_USE: 'STORE_IN_USE',
  STORE_IO: 'STORE_IO',
  STORE_LOCKED: 'STORE_LOCKED',
  STORE_OLD_CONTRACT: 'STORE_OLD_CONTRACT',
  STORE_TOO_NEW: 'STORE_TOO_NEW',
  STORE_UNWRITABLE: 'STORE_UNWRITABLE',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

import { afterEach, beforeEach } from 'vitest';

/**
 * The process's unhandled rejections while each test of the calling `describe` runs (one would
 * stop the agent in production): call it in the describe's body, assert the array stays empty.
 * Kept across the describe's tests, so a rejection that surfaces late still fails a later test.
 */
export function collectUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const onUnhandled = (e: unknown): void => void seen.push(e);
  beforeEach(() => void process.on('unhandledRejection', onUnhandled));
  afterEach(() => void process.off('unhandledRejection', onUnhandled));
  return seen;
}

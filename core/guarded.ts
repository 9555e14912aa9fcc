/**
 * Running a task without waiting for it. Node stops the process on a rejection nobody handles,
 * so every fire-and-forget task (a timer's tick, a deferred send, a watchdog round) goes through
 * here: whatever it throws at once, or its promise rejects with, reaches `failed` and nothing
 * else. What `failed` does (count a code, log at error) is the caller's.
 */
export function guarded(run: () => Promise<unknown>, failed: (e: unknown) => void): void {
  let p: Promise<unknown>;
  try {
    p = run();
  } catch (e) {
    p = Promise.reject(e);
  }
  p.catch(failed);
}

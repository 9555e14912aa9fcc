// Test-only preload (node --import) for the `run` process: each SIGUSR2 provokes what the
// process-level safety net exists for, a failure no code path handled. The first leaves a
// rejection unhandled; the second throws an exception nobody catches.
let signals = 0;
process.on('SIGUSR2', () => {
  signals++;
  if (signals === 1) void Promise.reject(new Error('provoked: a rejection nobody handles'));
  else setImmediate(() => {
    throw new Error('provoked: an exception nobody catches');
  });
});

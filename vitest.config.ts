import { defineConfig } from 'vitest/config';

// Tests that start real peers (swtpm, gpsd, socat, mosquitto) bind ephemeral loopback
// ports, so files may run in parallel; the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'drivers/**/*.test.ts', 'firmware-bridge/**/*.test.ts', 'agent/**/*.test.ts', 'hil/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

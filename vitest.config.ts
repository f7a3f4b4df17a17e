import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the `source`
// export condition); the end-to-end tests in test/ run the built CLIs.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['shared/src/**/*.test.ts', 'collector/src/**/*.test.ts', 'analyzer/src/**/*.test.ts', 'test/**/*.test.ts'],
    // A namespace with hostile aliases and names next to every run: no test may assume a tame host.
    globalSetup: ['test/support/hostile-neighbour.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: ['--openssl-legacy-provider'],
  },
});

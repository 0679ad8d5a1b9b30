import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources, so a test never sees a stale dist/.
    alias: {
      '@rampart/core': pkg('core'),
      '@rampart/testkit': pkg('testkit'),
      '@rampart/gateway': pkg('gateway'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'scripts/**/*.test.ts',
      // The benchmarks' client side (plain JavaScript, as the rest of bench/).
      'bench/gateway-overhead/**/*.test.js',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

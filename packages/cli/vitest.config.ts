import { defineConfig } from 'vitest/config';

// Node 20 runs the relaxed SIMD build only behind this flag; tests cover both builds.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], execArgv: ['--experimental-wasm-relaxed-simd'], testTimeout: 60_000 },
});

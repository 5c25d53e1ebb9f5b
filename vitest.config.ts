import { defineConfig } from 'vitest/config';

// Suites drive real processes (etcd, kube-apiserver, CloudCore, Toxiproxy, Mosquitto) on a 2-core machine:
// files run one after another so they neither fight for ports nor starve each other of CPU.
export default defineConfig({
  test: {
    include: ['sim/**/*.test.ts', 'conformance/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    reporters: ['default', ['junit', { outputFile: 'reports/out/junit.xml' }], ['json', { outputFile: 'reports/out/vitest.json' }]],
  },
});

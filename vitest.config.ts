import { defineConfig } from "vitest/config";

// The machine CI runs on has 2 cores, and most of an integration test's time is spent waiting on
// the engine: the concurrency-safe integration files run two at a time, with the unit files, in the
// first group; the files below and the crash-point suite run afterwards, one file at a time
// (vitest's sequence.groupOrder: group 1 starts when group 0 is done).
const SERIAL_INTEGRATION = [
  // A second dockerd (second-engine.ts, useSecondEngine()): starting one can take the main engine's
  // docker0 bridge down for a moment (the fixture puts it back), and these restart or kill it.
  "test/integration/engine-restart.test.ts",
  "test/integration/engine-side-remote.test.ts",
  "test/integration/remote-engines.test.ts",
  // Makes the main engine a Swarm manager (swarm init), deploys stacks and leaves the Swarm.
  "test/integration/swarm-deploy.test.ts",
  // Asserts a latency: the median time from `up` to the new bytes in a container (< 1 s, 1.5 s
  // engine-side), ~300 / ~650 ms alone; beside another file it would measure that file's load.
  // (The rest of secrets-rotation runs in the first group.)
  "test/integration/secrets-rotation-latency.test.ts",
];

const integration = {
  // Real engine work: containers start in hundreds of milliseconds, builds take seconds.
  testTimeout: 120_000,
  hookTimeout: 120_000,
  globalSetup: ["test/integration/global-setup.ts"],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "packages/*/**/*.test.ts"],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: SERIAL_INTEGRATION,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          ...integration,
        },
      },
      {
        test: {
          // `--project 'integration*'` runs both integration projects.
          name: "integration-serial",
          include: SERIAL_INTEGRATION,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          ...integration,
        },
      },
      {
        test: {
          // The crash-point suite (test/crash/): kills the CLI anywhere and checks what is left.
          name: "crash",
          include: ["test/crash/**/*.test.ts"],
          // Rounds run COMPOSEC_CRASH_JOBS at a time (test/crash/crash.test.ts): no test waits.
          maxConcurrency: Number(process.env.COMPOSEC_CRASH_JOBS ?? 3),
          testTimeout: 600_000,
          hookTimeout: 120_000,
          globalSetup: ["test/integration/global-setup.ts"],
          // Its rounds already keep the engine busy: three ups of ten services at once made a test
          // file beside it 4 to 8 times slower (secrets-cleanup: 320 s instead of 78 s).
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

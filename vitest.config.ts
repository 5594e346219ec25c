import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "packages/*/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "examples/**/*.test.ts"],
          // Real engine work: containers start in hundreds of milliseconds, builds take seconds.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ["test/integration/global-setup.ts"],
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
        },
      },
    ],
  },
});

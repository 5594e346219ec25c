// `healthcheck`: test as a string (CMD-SHELL) or a list, durations in Compose's units (nanoseconds
// in the model), NONE and disable.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("healthcheck", () => {
  it("a string test runs in a shell; durations and retries are read", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            healthcheck:
              test: wget -q -O- localhost || exit 1
              interval: 1m30s
              timeout: 500ms
              start_period: 10s
              retries: 3
      `,
    });
    expect(project.services["web"]!.healthcheck).toEqual({
      test: ["CMD-SHELL", "wget -q -O- localhost || exit 1"],
      disable: false,
      interval: 90e9,
      timeout: 500e6,
      startPeriod: 10e9,
      retries: 3,
    });
  });

  it("a list test starting with CMD is kept", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            healthcheck:
              test: ["CMD", "true"]
      `,
    });
    expect(project.services["web"]!.healthcheck).toMatchObject({ test: ["CMD", "true"], disable: false });
  });

  it("NONE and disable: true disable the image's check", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          a:
            image: busybox
            healthcheck:
              test: ["NONE"]
          b:
            image: busybox
            healthcheck:
              disable: true
      `,
    });
    expect(project.services["a"]!.healthcheck!.disable).toBe(true);
    expect(project.services["b"]!.healthcheck!.disable).toBe(true);
  });

  it("a list test not starting with CMD, CMD-SHELL or NONE is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            healthcheck:
              test: ["curl", "localhost"]
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.healthcheck\.test: /);
  });

  it("a bad duration is an error naming the value", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            healthcheck:
              interval: 10 seconds
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.healthcheck\.interval: /);
    expect(errors[0]).toContain('"10 seconds"');
  });
});

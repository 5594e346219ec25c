// `logging`: a driver and its options (scalars, read as strings), merged across files as compose-go
// does (options merge only under one driver), wrong types named by path; and `pull_policy` daily and
// weekly, kept as written.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const two = (base: string, override: string) =>
  loadOk({ "base.yaml": base, "override.yaml": override }, { files: ["base.yaml", "override.yaml"] });

describe("logging", () => {
  it("reads the driver and the options, numbers and booleans as strings, with no warning", async () => {
    const { project, warnings } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            logging:
              driver: json-file
              options:
                max-size: 10m
                max-file: 3
                compress: true
      `,
    });
    expect(warnings).toEqual([]);
    expect(project.services["web"]!.logging).toEqual({
      driver: "json-file",
      options: { "max-size": "10m", "max-file": "3", compress: "true" },
    });
  });

  it("options alone (the engine's default driver), and no logging at all", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            logging:
              options:
                max-size: 1m
          plain:
            image: busybox
      `,
    });
    expect(project.services["web"]!.logging).toEqual({ options: { "max-size": "1m" } });
    expect(project.services["plain"]!.logging).toBeUndefined();
  });

  it("options merge across files under the same driver; another driver replaces them", async () => {
    const base = `
      services:
        web:
          image: busybox
          logging:
            driver: json-file
            options: {max-size: 1m, max-file: "2"}
    `;
    const same = await two(base, "services:\n  web:\n    logging:\n      options:\n        max-size: 5m\n");
    expect(same.project.services["web"]!.logging).toEqual({
      driver: "json-file",
      options: { "max-size": "5m", "max-file": "2" },
    });
    const other = await two(base, "services:\n  web:\n    logging:\n      driver: syslog\n");
    expect(other.project.services["web"]!.logging).toEqual({ driver: "syslog", options: {} });
  });

  it("wrong types are errors naming the path", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            logging:
              driver: [json-file]
              options:
                max-size: {a: 1}
              dirver: x
      `,
    });
    expect(errors).toHaveLength(3);
    expect(errors.join("\n")).toContain("services.web.logging.driver");
    expect(errors.join("\n")).toContain("services.web.logging.options.max-size");
    expect(errors.join("\n")).toContain('did you mean "driver"');
  });
});

describe("pull_policy", () => {
  it("daily and weekly are kept as written (pulled as missing)", async () => {
    const { project, warnings } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            pull_policy: daily
          api:
            image: busybox
            pull_policy: weekly
      `,
    });
    expect(warnings).toEqual([]);
    expect(project.services["web"]!.pullPolicy).toBe("daily");
    expect(project.services["api"]!.pullPolicy).toBe("weekly");
  });

  it("every_<duration> and refresh are kept as written; a wrong duration is a located error", async () => {
    const { project } = await loadOk({
      "compose.yaml":
        "services:\n  web:\n    image: x\n    pull_policy: every_1w2d12h\n  api:\n    image: x\n    pull_policy: refresh\n",
    });
    expect(project.services["web"]!.pullPolicy).toBe("every_1w2d12h");
    expect(project.services["api"]!.pullPolicy).toBe("refresh");
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    pull_policy: every_2days\n",
    });
    expect(errors).toEqual([
      'compose.yaml:4:18 services.web.pull_policy: must be always, never, missing, build, if_not_present, refresh, daily, weekly or every_<duration> such as every_12h or every_2d, not "every_2days"',
    ]);
  });
});

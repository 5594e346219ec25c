// `profiles`: a service with profiles runs only when one of them is enabled by --profile or
// COMPOSE_PROFILES (shell or .env); `*` enables all; a service without profiles always runs.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const compose = `
  services:
    web:
      image: busybox
    debug:
      image: busybox
      profiles: [debug]
    tools:
      image: busybox
      profiles: [tools, ops]
`;

const enabled = async (request: Parameters<typeof loadOk>[1], extra: Record<string, string> = {}) =>
  Object.keys((await loadOk({ "compose.yaml": compose, ...extra }, request)).project.services).sort();

describe("profiles", () => {
  it("only services without profiles run by default; the others are kept as disabled", async () => {
    const { project } = await loadOk({ "compose.yaml": compose });
    expect(Object.keys(project.services)).toEqual(["web"]);
    expect(Object.keys(project.disabledServices).sort()).toEqual(["debug", "tools"]);
  });

  it("--profile enables services of that profile (repeatable)", async () => {
    expect(await enabled({ profiles: ["debug"] })).toEqual(["debug", "web"]);
    expect(await enabled({ profiles: ["ops"] })).toEqual(["tools", "web"]);
    expect(await enabled({ profiles: ["debug", "tools"] })).toEqual(["debug", "tools", "web"]);
  });

  it("COMPOSE_PROFILES (comma-separated) from the shell or .env", async () => {
    expect(await enabled({ env: { COMPOSE_PROFILES: "debug,ops" } })).toEqual(["debug", "tools", "web"]);
    expect(await enabled({}, { ".env": "COMPOSE_PROFILES=tools\n" })).toEqual(["tools", "web"]);
  });

  it("--profile wins over COMPOSE_PROFILES", async () => {
    expect(await enabled({ profiles: ["debug"], env: { COMPOSE_PROFILES: "tools" } })).toEqual([
      "debug",
      "web",
    ]);
  });

  it("* enables every profile", async () => {
    expect(await enabled({ profiles: ["*"] })).toEqual(["debug", "tools", "web"]);
  });

  it("an enabled service depending on a disabled one is an error that says how to enable it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            depends_on: [debug]
          debug:
            image: busybox
            profiles: [debug]
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.depends_on");
    expect(errors[0]).toContain("--profile");
  });

  it("a secret only a disabled service asks for is not resolved", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
          debug:
            image: busybox
            profiles: [debug]
            secrets: [debug_token]
        secrets:
          debug_token:
            environment: DEBUG_TOKEN
      `,
    });
    expect(Object.keys(project.services)).toEqual(["web"]);
  });
});

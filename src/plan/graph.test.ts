import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import { dependencyOrder, selectServices } from "./graph.js";

const on = (...names: string[]) =>
  Object.fromEntries(
    names.map((name) => [name, { condition: "service_started" as const, required: true, restart: false }]),
  );

describe("dependencyOrder", () => {
  it("puts dependencies first, ties by name", () => {
    expect(
      dependencyOrder({
        web: { dependsOn: on("db", "cache") },
        db: { dependsOn: {} },
        cache: { dependsOn: {} },
      }),
    ).toEqual(["cache", "db", "web"]);
  });

  it("names a cycle", () => {
    expect(() => dependencyOrder({ a: { dependsOn: on("b") }, b: { dependsOn: on("a") } })).toThrow(
      "services depend on each other in a cycle: a -> b -> a",
    );
  });
});

describe("selectServices", () => {
  it("adds dependencies transitively", () => {
    const project = makeProject("demo", [
      makeService("web", { dependsOn: on("api") }),
      makeService("api", { dependsOn: on("db") }),
      makeService("db"),
      makeService("other"),
    ]);
    expect([...selectServices(project, ["web"])].sort()).toEqual(["api", "db", "web"]);
  });

  it("explains a dependency disabled by a profile", () => {
    const project = makeProject("demo", [makeService("web", { dependsOn: on("debug") })], {
      disabledServices: { debug: makeService("debug", { profiles: ["dev"] }) },
    });
    expect(() => selectServices(project, [])).toThrow(
      'service "web" depends on "debug", which is disabled by its profiles',
    );
  });
});

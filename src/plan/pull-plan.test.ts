import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import type { Service } from "../model/project.js";
import { planPulls, platformProblems, pullPlatform, type ImageFacts, type PullFlag } from "./pull-plan.js";

const amd64: ImageFacts = { id: "sha256:b", os: "linux", architecture: "amd64" };

/** The plan for one project of `services`, as `image <- services (cause) [platform]` lines. */
function pulls(
  services: Service[],
  images: Record<string, ImageFacts | null>,
  flag?: PullFlag,
): { pulls: string[]; errors: string[] } {
  const project = makeProject("demo", services);
  const plan = planPulls(project, Object.keys(project.services), images, flag);
  return {
    pulls: plan.pulls.map(
      (pull) =>
        `${pull.image} <- ${pull.services.join(",")} (${pull.cause})${pull.platform ? ` [${pull.platform}]` : ""}`,
    ),
    errors: plan.errors,
  };
}

describe("planPulls", () => {
  it("pulls a missing image once for every service that runs it (missing is the default)", () => {
    const services = [
      makeService("web", { image: "registry.example/web:1" }),
      makeService("worker", { image: "registry.example/web:1", pullPolicy: "if_not_present" }),
      makeService("cache", { image: "redis:7" }),
    ];
    expect(pulls(services, { "registry.example/web:1": null, "redis:7": amd64 })).toEqual({
      pulls: ["registry.example/web:1 <- web,worker (not present on the engine)"],
      errors: [],
    });
  });

  it("always pulls with pull_policy always or --pull always, even when present", () => {
    expect(
      pulls([makeService("web", { image: "a:1", pullPolicy: "always" })], { "a:1": amd64 }).pulls,
    ).toEqual(["a:1 <- web (pull_policy: always)"]);
    expect(pulls([makeService("web", { image: "a:1" })], { "a:1": amd64 }, "always").pulls).toEqual([
      "a:1 <- web (--pull always)",
    ]);
  });

  it("refuses a missing image under never, naming the service, the image and the policy", () => {
    expect(pulls([makeService("web", { image: "a:1", pullPolicy: "never" })], { "a:1": null })).toEqual({
      pulls: [],
      errors: [
        'service "web": image "a:1" is not present on the engine, and pull_policy: never forbids pulling it; load or build it first (docker load, docker build), or allow pulling',
      ],
    });
    expect(
      pulls([makeService("web", { image: "a:1", pullPolicy: "always" })], { "a:1": null }, "never").errors,
    ).toEqual([
      'service "web": image "a:1" is not present on the engine, and --pull never forbids pulling it; load or build it first (docker load, docker build), or allow pulling',
    ]);
    expect(pulls([makeService("web", { image: "a:1", pullPolicy: "never" })], { "a:1": amd64 })).toEqual({
      pulls: [],
      errors: [],
    });
  });

  it("--pull missing replaces a service's always", () => {
    const web = makeService("web", { image: "a:1", pullPolicy: "always" });
    expect(pulls([web], { "a:1": amd64 }, "missing").pulls).toEqual([]);
  });

  it("leaves services with a build section to the build, and refuses pull_policy build without one", () => {
    const built = makeService("app", { image: "app:1", build: {} as Service["build"] });
    expect(pulls([built], { "app:1": null })).toEqual({ pulls: [], errors: [] });
    expect(
      pulls([makeService("web", { image: "a:1", pullPolicy: "build" })], { "a:1": null }).errors,
    ).toEqual([
      'service "web": pull_policy is build, but the service has no build section; add build:, or use pull_policy missing, always or never',
    ]);
  });

  it("reads daily, weekly, refresh and every_<duration> as missing", () => {
    for (const pullPolicy of ["daily", "weekly", "refresh", "every_2d"] as const) {
      const web = makeService("web", { image: "a:1", pullPolicy });
      expect(pulls([web], { "a:1": amd64 }).pulls).toEqual([]);
      expect(pulls([web], { "a:1": null }).pulls).toEqual(["a:1 <- web (not present on the engine)"]);
    }
  });

  it("pulls an image present only for another platform, asking for the service's platform", () => {
    const arm = makeService("web", { image: "a:1", platform: "linux/arm64" });
    expect(pulls([arm], { "a:1": amd64 }).pulls).toEqual([
      "a:1 <- web (present only for linux/amd64, not linux/arm64) [linux/arm64]",
    ]);
    const same = makeService("web", { image: "a:1", platform: "linux/x86_64" });
    expect(pulls([same], { "a:1": amd64 }).pulls).toEqual([]);
    const never = makeService("web", { image: "a:1", platform: "linux/arm64", pullPolicy: "never" });
    expect(pulls([never], { "a:1": amd64 }).errors).toEqual([
      'service "web": image "a:1" is present only for linux/amd64, not linux/arm64, and pull_policy: never forbids pulling it; load or build it first (docker load, docker build), or allow pulling',
    ]);
  });

  it("refuses one image asked for as two platforms", () => {
    const services = [
      makeService("a", { image: "x:1", platform: "linux/amd64" }),
      makeService("b", { image: "x:1", platform: "linux/arm64" }),
    ];
    expect(pulls(services, { "x:1": null }, "always").errors).toEqual([
      'services a, b: image "x:1" is asked for as linux/amd64 and linux/arm64, but one image name holds one platform; give the services the same platform, or different image names',
    ]);
  });
});

describe("pullPlatform", () => {
  it("is the one platform the services ask for, aliases read as one; none asked, none given", () => {
    const services = [
      makeService("a", { image: "x:1", platform: "linux/x86_64" }),
      makeService("b", { image: "x:1", platform: "Linux/AMD64" }),
      makeService("c", { image: "x:1" }),
    ];
    expect(pullPlatform("x:1", services)).toEqual({ platform: "linux/amd64" });
    expect(pullPlatform("x:1", [makeService("c", { image: "x:1" })])).toEqual({ platform: undefined });
  });

  it("refuses two platforms for one image, naming the services sorted and the platforms", () => {
    const services = [
      makeService("web", { image: "x:1", platform: "linux/arm64/v8" }),
      makeService("api", { image: "x:1", platform: "linux/amd64" }),
      makeService("cron", { image: "x:1" }),
    ];
    expect(pullPlatform("x:1", services)).toEqual({
      error:
        'services api, cron, web: image "x:1" is asked for as linux/amd64 and linux/arm64, but one image name holds one platform; give the services the same platform, or different image names',
    });
  });
});

describe("platformProblems", () => {
  it("names a service whose image is still for another platform after the pull", () => {
    const project = makeProject("demo", [
      makeService("web", { image: "a:1", platform: "linux/arm64" }),
      makeService("ok", { image: "b:1", platform: "linux/amd64" }),
    ]);
    expect(platformProblems(project, ["web", "ok"], { "a:1": amd64, "b:1": amd64 })).toEqual([
      'service "web": platform linux/arm64 cannot run here: image "a:1" is present only for linux/amd64, not linux/arm64, and its registry offers no linux/arm64 image',
    ]);
  });
});

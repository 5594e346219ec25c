import { describe, expect, it } from "vitest";
import { COMPOSEC_VERSION } from "../version.js";
import {
  containerLabels,
  containerName,
  dependsOnLabel,
  imageLabels,
  imageName,
  networkLabels,
  oneoffContainerName,
  volumeLabels,
} from "./names.js";
import { makeProject, makeService } from "./project-builder.js";

describe("names", () => {
  it("names containers <project>-<service>-<n> unless container_name is set", () => {
    expect(containerName("demo", makeService("web"), 1)).toBe("demo-web-1");
    expect(containerName("demo", makeService("web"), 3)).toBe("demo-web-3");
    expect(containerName("demo", makeService("web", { containerName: "frontdoor" }), 1)).toBe("frontdoor");
  });

  it("names a built image <project>-<service> unless image: names it", () => {
    expect(imageName("demo", makeService("web"))).toBe("demo-web");
    expect(imageName("demo", makeService("web", { image: "acme/web:2" }))).toBe("acme/web:2");
  });

  it("labels a built image with project, service and version, over the build's own labels", () => {
    expect(imageLabels("demo", "web", { team: "a", "com.docker.compose.project": "other" })).toEqual({
      team: "a",
      "com.docker.compose.project": "demo",
      "com.docker.compose.service": "web",
      "com.docker.compose.version": COMPOSEC_VERSION,
    });
  });

  it("names one-off containers <project>-<service>-run-<slug>", () => {
    expect(oneoffContainerName("demo", "web", "0123456789abcdef")).toBe("demo-web-run-0123456789ab");
  });

  it("writes depends_on as Compose does, sorted", () => {
    const label = dependsOnLabel({
      redis: { condition: "service_started", required: true, restart: false },
      db: { condition: "service_healthy", required: true, restart: true },
    });
    expect(label).toBe("db:service_healthy:true,redis:service_started:false");
  });
});

describe("labels", () => {
  const web = makeService("web", { labels: { team: "a", "com.docker.compose.project": "spoofed" } });
  const project = makeProject("demo", [web]);

  it("puts every Compose label on a container, ours over the user's", () => {
    expect(
      containerLabels({ project, service: web, number: 2, configHash: "abc", imageId: "sha256:1" }),
    ).toEqual({
      team: "a",
      "com.docker.compose.project": "demo",
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "2",
      "com.docker.compose.oneoff": "False",
      "com.docker.compose.config-hash": "abc",
      "com.docker.compose.image": "sha256:1",
      "com.docker.compose.depends_on": "",
      "com.docker.compose.version": COMPOSEC_VERSION,
      "com.docker.compose.project.working_dir": "/work/demo",
      "com.docker.compose.project.config_files": "/work/demo/compose.yaml",
      "io.composec.version": COMPOSEC_VERSION,
    });
  });

  it("labels networks and volumes with the project and their key", () => {
    expect(networkLabels("demo", "default", { x: "1" })).toEqual({
      x: "1",
      "com.docker.compose.project": "demo",
      "com.docker.compose.network": "default",
      "com.docker.compose.version": COMPOSEC_VERSION,
      "io.composec.version": COMPOSEC_VERSION,
    });
    expect(volumeLabels("demo", "data")["com.docker.compose.volume"]).toBe("data");
  });
});

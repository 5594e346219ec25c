// Several files (-f a -f b) merged in order, with Compose's override rules: scalars replace, mappings
// merge by key, ports by host_ip:published:target/protocol, volumes by target, service secrets by
// their resolved target with later files winning per field (CLARIFICATIONS.md 2).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const two = (base: string, override: string, env: Record<string, string> = {}) =>
  loadOk({ "base.yaml": base, "override.yaml": override }, { files: ["base.yaml", "override.yaml"], env });

describe("merging files", () => {
  it("scalars are replaced, new services added, untouched fields kept", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: base
            user: "1"
            working_dir: /app
      `,
      `
        services:
          web:
            image: override
            user: "2"
          extra:
            image: busybox
      `,
    );
    expect(project.services["web"]).toMatchObject({ image: "override", user: "2", workingDir: "/app" });
    expect(Object.keys(project.services).sort()).toEqual(["extra", "web"]);
  });

  it("command and entrypoint are replaced, not appended", async () => {
    const { project } = await two(
      "services:\n  web:\n    image: x\n    command: [a, b]\n    entrypoint: [e]\n",
      "services:\n  web:\n    command: c\n",
    );
    expect(project.services["web"]!.command).toEqual(["c"]);
    expect(project.services["web"]!.entrypoint).toEqual(["e"]);
  });

  it("environment and labels merge per key, the later file winning", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: x
            environment: [A=base, B=base]
            labels: {l1: base, l2: base}
      `,
      `
        services:
          web:
            environment: {B: override, C: override}
            labels: [l2=override]
      `,
    );
    expect(project.services["web"]!.environment).toEqual({ A: "base", B: "override", C: "override" });
    expect(project.services["web"]!.labels).toEqual({ l1: "base", l2: "override" });
  });

  it("ports merge by host_ip:published:target/protocol", async () => {
    const { project } = await two(
      "services:\n  web:\n    image: x\n    ports: ['8080:80', '53:53/udp']\n",
      "services:\n  web:\n    ports: ['8080:80', '53:53/tcp', '127.0.0.1:9090:90']\n",
    );
    expect(project.services["web"]!.ports).toEqual([
      { target: 80, published: "8080", protocol: "tcp", mode: "ingress" },
      { target: 53, published: "53", protocol: "udp", mode: "ingress" },
      { target: 53, published: "53", protocol: "tcp", mode: "ingress" },
      { target: 90, published: "9090", hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" },
    ]);
  });

  it("volumes merge by target: a later mount at the same target replaces the earlier one", async () => {
    const { project, dir } = await two(
      "services:\n  web:\n    image: x\n    volumes: ['./a:/data', './logs:/logs']\n",
      "services:\n  web:\n    volumes: ['./b:/data:ro', './cache:/cache']\n",
    );
    expect(
      project.services["web"]!.volumes.map((v) => [v.target, "source" in v ? v.source : "", v.readOnly]),
    ).toEqual([
      ["/data", join(dir, "b"), true],
      ["/logs", join(dir, "logs"), false],
      ["/cache", join(dir, "cache"), false],
    ]);
  });

  it("service secrets merge by resolved target, the later file winning per field", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: x
            secrets:
              - source: token
                mode: 0400
                uid: "1000"
              - other
        secrets:
          token: {environment: TOKEN}
          other: {environment: TOKEN}
      `,
      `
        services:
          web:
            secrets:
              - source: token
                target: /run/secrets/token
                uid: "2000"
              - source: token
                target: copy
      `,
      { TOKEN: "t" },
    );
    expect(project.services["web"]!.secrets).toEqual([
      { source: "token", target: "/run/secrets/token", uid: 2000, gid: 0, mode: 0o400 },
      { source: "other", target: "/run/secrets/other", uid: 0, gid: 0, mode: 0o444 },
      { source: "token", target: "/run/secrets/copy", uid: 0, gid: 0, mode: 0o444 },
    ]);
  });

  it("a short grant in the override merges with the long grant of the same target", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: x
            secrets:
              - source: token
                mode: 0440
                gid: "50"
        secrets:
          token: {environment: TOKEN}
      `,
      "services:\n  web:\n    secrets: [token]\n",
      { TOKEN: "t" },
    );
    expect(project.services["web"]!.secrets).toEqual([
      { source: "token", target: "/run/secrets/token", uid: 0, gid: 50, mode: 0o440 },
    ]);
  });

  it("build secrets merge by target too", async () => {
    const { project } = await two(
      `
        services:
          web:
            build:
              context: .
              secrets: [npm]
        secrets:
          npm: {environment: NPM_TOKEN}
          pip: {environment: NPM_TOKEN}
      `,
      `
        services:
          web:
            build:
              secrets:
                - npm
                - source: pip
                  target: pip_id
      `,
      { NPM_TOKEN: "t" },
    );
    expect(project.services["web"]!.build!.secrets).toEqual([
      { source: "npm", target: "npm" },
      { source: "pip", target: "pip_id" },
    ]);
  });

  it("top-level secrets merge per key; a relative file resolves against its own file's directory", async () => {
    const { project, dir } = await loadOk(
      {
        "compose.yaml": `
          services:
            web:
              image: x
              secrets: [token, cert]
          secrets:
            token:
              file: ./token.txt
            cert:
              file: ./cert.pem
        `,
        "token.txt": "t",
        "cert.pem": "c",
        "env/prod/override.yaml": `
          secrets:
            token:
              file: ./token.txt
        `,
        "env/prod/token.txt": "prod",
      },
      { files: ["compose.yaml", "env/prod/override.yaml"] },
    );
    expect(project.secrets["token"]!.source).toEqual({ kind: "file", path: join(dir, "env/prod/token.txt") });
    expect(project.secrets["cert"]!.source).toEqual({ kind: "file", path: join(dir, "cert.pem") });
  });

  it("problems in the override file point at the override file", async () => {
    const { errors } = await loadFail(
      {
        "base.yaml": "services:\n  web:\n    image: x\n",
        "sub/override.yaml": "services:\n  web:\n    secrets:\n      - source: s\n        mode: 9999\n",
      },
      { files: ["base.yaml", "sub/override.yaml"] },
    );
    expect(errors.some((e) => /^sub\/override\.yaml:5:\d+ services\.web\.secrets\[0\]\.mode: /.test(e))).toBe(
      true,
    );
  });
});

// Intent: the deploy planner as data: a loaded project and what the Swarm holds in, the specs and
// steps out. Versioned names follow the digest, unchanged digests change nothing, every reason a
// project cannot go on a Swarm is reported at once, and no spec carries a secret value.
import { describe, expect, it } from "vitest";
import { ProjectError } from "../errors.js";
import { loadOk } from "../loader/test-helpers.js";
import { planDeploy, secretsToRemove, specHash, versionedSecretKeys } from "./plan.js";
import type { SwarmState } from "./types.js";

const empty: SwarmState = { services: [], secrets: [], configs: [], networks: [] };

async function project(yaml: string, env: Record<string, string> = {}) {
  return (await loadOk({ "compose.yaml": yaml, "pw.txt": "s3cret-value" }, { env })).project;
}

const WEB = `
name: shop
services:
  web:
    image: composec-test/busybox:1
    command: ["sleep", "60"]
    environment: { A: "1" }
    ports: ["8080:80"]
    healthcheck: { test: ["CMD", "true"], interval: 2s, retries: 3 }
    secrets:
      - source: pw
        target: db/pw
        uid: "1000"
        gid: "1001"
        mode: 0400
      - source: token
        target: /etc/app/token
    deploy:
      replicas: 2
      labels: { tier: front }
      update_config: { parallelism: 2, order: start-first, delay: 1s }
      restart_policy: { condition: on-failure, max_attempts: 3 }
      placement: { constraints: ["node.role==manager"] }
      resources: { limits: { memory: 64M, cpus: "0.5" } }
secrets:
  pw:
    file: ./pw.txt
  token:
    environment: TOKEN
`;

describe("planDeploy", () => {
  it("makes versioned secrets, an overlay network and a service spec from the project", async () => {
    const p = await project(WEB, { TOKEN: "tok-value" });
    expect(versionedSecretKeys(p)).toEqual(["pw", "token"]);
    const digests = new Map([
      ["pw", "aaaaaaaaaaaa"],
      ["token", "bbbbbbbbbbbb"],
    ]);
    const plan = planDeploy({ project: p, secretDigests: digests, state: empty });
    expect(plan.secrets.map((s) => [s.name, s.action])).toEqual([
      ["shop_pw_aaaaaaaaaaaa", "create"],
      ["shop_token_bbbbbbbbbbbb", "create"],
    ]);
    expect(plan.secrets[0]!.labels).toEqual({
      "com.docker.stack.namespace": "shop",
      "io.composec.key": "pw",
    });
    expect(plan.networks).toEqual([
      expect.objectContaining({
        name: "shop_default",
        action: "create",
        spec: expect.objectContaining({ Driver: "overlay", Scope: "swarm" }),
      }),
    ]);
    const [web] = plan.services;
    expect(web!.name).toBe("shop_web");
    expect(web!.action).toBe("create");
    const spec = web!.spec;
    expect(spec.Labels).toMatchObject({ tier: "front", "com.docker.stack.namespace": "shop" });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(spec.UpdateConfig).toEqual({ Parallelism: 2, Order: "start-first", Delay: 1e9 });
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "on-failure", MaxAttempts: 3 });
    expect(spec.TaskTemplate.Placement).toEqual({ Constraints: ["node.role==manager"] });
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 5e8 } });
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: "shop_default", Aliases: ["web"] }]);
    expect(spec.EndpointSpec).toEqual({
      Mode: "vip",
      Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }],
    });
    const container = spec.TaskTemplate.ContainerSpec;
    expect(container.Args).toEqual(["sleep", "60"]);
    expect(container.Env).toEqual(["A=1"]);
    expect(container.Healthcheck).toEqual({ Test: ["CMD", "true"], Interval: 2e9, Retries: 3 });
    expect(container.Secrets).toEqual([
      {
        File: { Name: "db/pw", UID: "1000", GID: "1001", Mode: 0o400 },
        SecretID: "shop_pw_aaaaaaaaaaaa",
        SecretName: "shop_pw_aaaaaaaaaaaa",
      },
      {
        File: { Name: "/etc/app/token", UID: "0", GID: "0", Mode: 0o444 },
        SecretID: "shop_token_bbbbbbbbbbbb",
        SecretName: "shop_token_bbbbbbbbbbbb",
      },
    ]);
    const text = JSON.stringify(plan);
    expect(text).not.toContain("s3cret-value");
    expect(text).not.toContain("tok-value");
  });

  it("changes nothing when the digests and spec are unchanged, and updates when a digest changes", async () => {
    const p = await project(WEB, { TOKEN: "x" });
    const digests = new Map([
      ["pw", "aaaaaaaaaaaa"],
      ["token", "bbbbbbbbbbbb"],
    ]);
    const first = planDeploy({ project: p, secretDigests: digests, state: empty });
    const spec = first.services[0]!.spec;
    const state: SwarmState = {
      services: [
        {
          id: "s1",
          name: "shop_web",
          version: 7,
          labels: spec.Labels,
          refersTo: ["shop_pw_aaaaaaaaaaaa", "shop_token_bbbbbbbbbbbb"],
        },
      ],
      secrets: [
        { id: "x1", name: "shop_pw_aaaaaaaaaaaa", labels: {} },
        { id: "x2", name: "shop_token_bbbbbbbbbbbb", labels: {} },
      ],
      configs: [],
      networks: [{ id: "n1", name: "shop_default", labels: {} }],
    };
    const again = planDeploy({ project: p, secretDigests: digests, state });
    expect(again.services.map((s) => s.action)).toEqual(["unchanged"]);
    expect(again.secrets.map((s) => s.action)).toEqual(["exists", "exists"]);
    expect(again.networks.map((n) => n.action)).toEqual(["exists"]);

    const rotated = planDeploy({
      project: p,
      secretDigests: new Map([...digests, ["token", "cccccccccccc"]]),
      state,
    });
    expect(rotated.secrets.map((s) => [s.name, s.action])).toEqual([
      ["shop_pw_aaaaaaaaaaaa", "exists"],
      ["shop_token_cccccccccccc", "create"],
    ]);
    expect(rotated.services[0]).toMatchObject({ action: "update", id: "s1", version: 7 });
    expect(specHash(rotated.services[0]!.spec)).not.toBe(spec.Labels["io.composec.spec-hash"]);
  });

  it("refers to an external secret by its Swarm name, and refuses one the Swarm lacks", async () => {
    const yaml = `
name: ext
services:
  app:
    image: composec-test/busybox:1
    secrets: [api, local]
secrets:
  api:
    external: true
    name: shared_api_key
  local:
    external: true
    x-composec-source: store
`;
    const p = await project(yaml);
    expect(versionedSecretKeys(p)).toEqual(["local"]);
    const digests = new Map([["local", "dddddddddddd"]]);
    const withIt: SwarmState = { ...empty, secrets: [{ id: "e1", name: "shared_api_key", labels: {} }] };
    const plan = planDeploy({ project: p, secretDigests: digests, state: withIt });
    expect(plan.secrets.map((s) => [s.name, s.action])).toEqual([
      ["shared_api_key", "external"],
      ["ext_local_dddddddddddd", "create"],
    ]);
    const error = (() => {
      try {
        planDeploy({ project: p, secretDigests: digests, state: empty });
      } catch (caught) {
        return caught as ProjectError;
      }
      throw new Error("planDeploy accepted a missing external secret");
    })();
    expect(error).toBeInstanceOf(ProjectError);
    expect(error.problems).toEqual([
      {
        path: "secrets.api.external",
        message: expect.stringContaining('the Swarm has no secret "shared_api_key"') as string,
      },
    ]);
  });

  it("reports every reason a project cannot run on a Swarm at once", async () => {
    const yaml = `
name: bad
services:
  built:
    build: .
  ranged:
    image: composec-test/busybox:1
    ports: ["127.0.0.1:8000-8001:80"]
  dns:
    image: composec-test/busybox:1
    ports: ["9000:80"]
    deploy: { endpoint_mode: dnsrr }
`;
    const p = await project(yaml);
    expect(() => planDeploy({ project: p, secretDigests: new Map(), state: empty })).toThrow(ProjectError);
    try {
      planDeploy({ project: p, secretDigests: new Map(), state: empty });
    } catch (error) {
      const paths = (error as ProjectError).problems.map((problem) => problem.path);
      expect(paths).toEqual(
        expect.arrayContaining(["services.built.image", "services.dns.deploy.endpoint_mode"]),
      );
      expect(paths.filter((path) => path?.startsWith("services.ranged.ports")).length).toBeGreaterThan(0);
    }
  });

  it("warns about attributes a Swarm ignores, as docker stack deploy does", async () => {
    const yaml = `
name: warn
services:
  a:
    image: composec-test/busybox:1
    container_name: fixed
    restart: always
    depends_on: [b]
  b:
    image: composec-test/busybox:1
    build: .
    privileged: true
`;
    const plan = planDeploy({ project: await project(yaml), secretDigests: new Map(), state: empty });
    expect(plan.warnings).toEqual([
      expect.stringMatching(/^Ignoring unsupported option build \(services b\)/),
      expect.stringMatching(/^Ignoring unsupported option privileged \(services b\)/),
      expect.stringMatching(/^Ignoring unsupported option restart \(services a\)/),
      expect.stringMatching(/^Ignoring unsupported option depends_on \(services a\)/),
      expect.stringMatching(/^Ignoring unsupported option container_name \(services a\)/),
    ]);
  });

  it("global mode, dnsrr without ports and a named volume", async () => {
    const yaml = `
name: g
services:
  agent:
    image: composec-test/busybox:1
    volumes: ["data:/data"]
    deploy: { mode: global, endpoint_mode: dnsrr }
volumes:
  data: {}
`;
    const plan = planDeploy({ project: await project(yaml), secretDigests: new Map(), state: empty });
    const spec = plan.services[0]!.spec;
    expect(spec.Mode).toEqual({ Global: {} });
    expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr" });
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([
      {
        Type: "volume",
        Source: "g_data",
        Target: "/data",
        ReadOnly: false,
        VolumeOptions: { NoCopy: false, Labels: { "com.docker.stack.namespace": "g" } },
      },
    ]);
  });
});

describe("configs", () => {
  it("become versioned Swarm configs at their absolute targets, or external ones by name", async () => {
    const yaml = `
name: c
services:
  app:
    image: composec-test/busybox:1
    configs:
      - source: conf
        target: /etc/app.conf
        mode: 0440
      - shared
configs:
  conf:
    content: "port=1"
  shared:
    external: true
    name: team_shared
`;
    const p = await project(yaml);
    const state: SwarmState = { ...empty, configs: [{ id: "c1", name: "team_shared", labels: {} }] };
    const plan = planDeploy({
      project: p,
      secretDigests: new Map(),
      configDigests: new Map([["conf", "eeeeeeeeeeee"]]),
      state,
    });
    expect(plan.configs.map((c) => [c.name, c.action])).toEqual([
      ["c_conf_eeeeeeeeeeee", "create"],
      ["team_shared", "external"],
    ]);
    expect(plan.services[0]!.spec.TaskTemplate.ContainerSpec.Configs).toEqual([
      {
        File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o440 },
        ConfigID: "c_conf_eeeeeeeeeeee",
        ConfigName: "c_conf_eeeeeeeeeeee",
      },
      {
        File: { Name: "/shared", UID: "0", GID: "0", Mode: 0o444 },
        ConfigID: "team_shared",
        ConfigName: "team_shared",
      },
    ]);
    expect(() =>
      planDeploy({
        project: p,
        secretDigests: new Map(),
        configDigests: new Map([["conf", "e"]]),
        state: empty,
      }),
    ).toThrow(/the Swarm has no config "team_shared"/);
  });
});

describe("secretsToRemove", () => {
  const ns = (stack: string, key: string) => ({
    "com.docker.stack.namespace": stack,
    "io.composec.key": key,
  });
  it("removes old versions of the stack only when no spec names them and no live task holds them", () => {
    const secrets = [
      { id: "1", name: "shop_pw_old", labels: ns("shop", "pw") },
      { id: "2", name: "shop_pw_new", labels: ns("shop", "pw") },
      { id: "3", name: "shop_tok_old", labels: ns("shop", "tok") },
      { id: "4", name: "other_pw_old", labels: ns("other", "pw") },
      { id: "5", name: "shop_hand_made", labels: { "com.docker.stack.namespace": "shop" } },
    ];
    const services = [{ id: "s", name: "shop_web", version: 1, labels: {}, refersTo: ["shop_pw_new"] }];
    expect(
      secretsToRemove("shop", { secrets, services }, new Set(["shop_pw_new"]), new Set(["shop_tok_old"])),
    ).toEqual([{ id: "1", name: "shop_pw_old" }]);
  });
});

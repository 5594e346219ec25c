// Intent: `composec deploy` puts a compose project on a real single-node Swarm as `docker stack
// deploy` would, with every secret source working: the seed's two examples deployed and their
// secrets read inside the tasks (digests, uid/gid/mode); an `environment` secret deployed and then
// rotated by a rolling update (new bytes in the new task, old version removed, an unchanged value
// changing nothing); bad input refused with nothing created; not a manager said clearly; `undeploy`
// leaving no service, secret, config or network. No secret value reaches output, labels or specs.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  repoRoot,
  tempProject,
  uniqueProjectName,
  type CliResult,
} from "./helpers.js";
import { cliOk, digestIn, IDLE, randomValue, sha256, statIn } from "./secrets-helpers.js";
import {
  ensureSwarm,
  removeStackObjects,
  restoreSwarm,
  runningTask,
  stackObjects,
  stackSpecsText,
  type SwarmSetup,
} from "./swarm-helpers.js";

let setup: SwarmSetup;
/** What `composec stack ls` said before the tests made the Swarm (when they made it). */
let beforeSwarm: CliResult | undefined;
let home: string;
const stacks: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), "composec-swarm-home-"));
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
  if (info.Swarm?.LocalNodeState === "inactive") beforeSwarm = await cli(["stack", "ls"]);
  setup = await ensureSwarm();
});

afterEach(async () => {
  for (const stack of stacks.splice(0)) await removeStackObjects(stack);
  await cleanupTempProjects();
});

afterAll(async () => {
  await restoreSwarm(setup);
  await rm(home, { recursive: true, force: true });
});

function stack(prefix: string): string {
  const name = uniqueProjectName(prefix);
  stacks.push(name);
  return name;
}

const env = (extra: Record<string, string> = {}) => ({ COMPOSEC_HOME: home, ...extra });

/** Keeps the example's tasks running (its image's default command exits) and stopping at once. */
const idleOverride = (services: string[]) =>
  `services:\n${services.map((s) => `  ${s}:\n    command: ${IDLE}\n    stop_grace_period: 1s\n`).join("")}`;

describe("composec deploy", () => {
  it("refuses clearly on an engine that is not a Swarm manager", () => {
    // The engine of this run was made a manager by this file when it was not one; before that,
    // `stack ls` had to say so. When a Swarm was there already, the run started from a manager.
    if (setup.made) {
      expect(beforeSwarm?.code).toBe(1);
      expect(beforeSwarm?.stderr).toMatch(/is not part of a Swarm; make it one with `docker swarm init`/);
    } else {
      expect(beforeSwarm).toBeUndefined();
    }
  });

  it("single-service example: my_secret is read inside the task; undeploy leaves nothing", async () => {
    const name = stack("sw-single");
    const value = randomValue("my-secret");
    const example = await readFile(path.join(repoRoot, "examples/single-service/compose.yaml"), "utf8");
    const dir = await tempProject({
      "compose.yaml": example,
      "idle.yaml": idleOverride(["myapp"]),
      "my_secret.txt": value,
    });
    const result = await cliOk(
      ["-p", name, "-f", "compose.yaml", "-f", "idle.yaml", "deploy", "--detach=false"],
      {
        cwd: dir,
        env: env(),
        hide: [value],
      },
    );
    expect(result.stderr).toContain(`Service ${name}_myapp  Created`);
    expect(result.stderr).toMatch(/Running: \[=+\] 1\/1/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(value);
    const task = await runningTask(name, "myapp");
    expect(await digestIn(task, "/run/secrets/my_secret")).toBe(sha256(value));
    expect(await statIn(task, "/run/secrets/my_secret")).toBe("0 0 444");

    const objects = await stackObjects(name);
    expect(objects.services).toEqual([`${name}_myapp`]);
    expect(objects.secrets).toEqual([expect.stringMatching(new RegExp(`^${name}_my_secret_[0-9a-f]{12}$`))]);
    expect(objects.networks).toEqual([`${name}_default`]);
    // The keyed digest in the name is not a plain hash of the value.
    expect(objects.secrets[0]).not.toContain(sha256(value).slice(0, 12));
    expect(await stackSpecsText(name)).not.toContain(value);

    const ps = await cliOk(["-p", name, "stack", "ps"], { cwd: dir, env: env() });
    expect(ps.stdout).toMatch(
      new RegExp(`${name}_myapp\\.1\\s+${images.busybox.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
    );
    const services = await cliOk(["-p", name, "stack", "services"], { cwd: dir, env: env() });
    expect(services.stdout).toMatch(new RegExp(`${name}_myapp\\s+replicated\\s+1/1`));
    const ls = await cliOk(["stack", "ls"], { env: env() });
    expect(ls.stdout).toMatch(new RegExp(`^${name}\\s+1$`, "m"));

    await cliOk(["-p", name, "undeploy"], { cwd: dir, env: env() });
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });
  });

  it("wordpress example: db and wordpress share db_password, only db has db_root_password", async () => {
    const name = stack("sw-wp");
    const dbPassword = randomValue("db-password");
    const rootPassword = randomValue("db-root-password");
    // Verbatim but for the published port: other tests publish 8000 on this engine at the same time.
    const example = (await readFile(path.join(repoRoot, "examples/wordpress/compose.yaml"), "utf8")).replace(
      '"8000:80"',
      '"18000:80"',
    );
    const dir = await tempProject({
      "compose.yaml": example,
      "idle.yaml": idleOverride(["db", "wordpress"]),
      "db_password.txt": dbPassword,
      "db_root_password.txt": rootPassword,
    });
    const hide = [dbPassword, rootPassword];
    const result = await cliOk(
      ["-p", name, "-f", "compose.yaml", "-f", "idle.yaml", "deploy", "--detach=false"],
      {
        cwd: dir,
        env: env(),
        hide,
      },
    );
    // As `docker stack deploy`, depends_on cannot order a Swarm's services: said, not silently dropped.
    expect(result.stderr).toMatch(/warning: Ignoring unsupported option depends_on \(services wordpress\)/);
    const db = await runningTask(name, "db");
    const wordpress = await runningTask(name, "wordpress");
    expect(await digestIn(db, "/run/secrets/db_password")).toBe(sha256(dbPassword));
    expect(await digestIn(wordpress, "/run/secrets/db_password")).toBe(sha256(dbPassword));
    expect(await digestIn(db, "/run/secrets/db_root_password")).toBe(sha256(rootPassword));
    expect(await digestIn(wordpress, "/run/secrets/db_root_password")).toBeUndefined();
    const text = await stackSpecsText(name);
    for (const value of hide) expect(text.includes(value)).toBe(false);
    expect(`${result.stdout}${result.stderr}`.includes(dbPassword)).toBe(false);

    await cliOk(["-p", name, "stack", "rm"], { cwd: dir, env: env() });
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });
  });

  it("an environment secret and a config are deployed (uid/gid/mode), rotated by rolling update, the old versions removed", async () => {
    const name = stack("sw-rot");
    const first = randomValue("token-one");
    const second = randomValue("token-two");
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    stop_grace_period: 1s
    secrets:
      - source: token
        target: app/token
        uid: "1000"
        gid: "1001"
        mode: 0400
    configs:
      - source: settings
        target: /etc/app/settings
    deploy:
      update_config: { parallelism: 1, order: stop-first }
secrets:
  token:
    environment: APP_TOKEN
configs:
  settings:
    content: "level=\${LEVEL}"
`,
    });
    let level = "1";
    const deploy = (value: string) =>
      cliOk(["-p", name, "deploy", "--detach=false"], {
        cwd: dir,
        env: env({ APP_TOKEN: value, LEVEL: level }),
        hide: [first, second],
      });

    await deploy(first);
    const task1 = await runningTask(name, "app");
    expect(await digestIn(task1, "/run/secrets/app/token")).toBe(sha256(first));
    expect(await statIn(task1, "/run/secrets/app/token")).toBe("1000 1001 400");
    const [secret1] = (await stackObjects(name)).secrets;
    const [config1] = (await stackObjects(name)).configs;
    expect(config1).toMatch(new RegExp(`^${name}_settings_[0-9a-f]{12}$`));
    expect(await digestIn(task1, "/etc/app/settings")).toBe(sha256("level=1"));

    // The same value again: nothing changes, not even the task.
    const same = await deploy(first);
    expect(same.stderr).toContain(`Service ${name}_app  Unchanged`);
    expect(await runningTask(name, "app")).toBe(task1);
    expect((await stackObjects(name)).secrets).toEqual([secret1]);

    // --dry-run says what a new value would do, by name only, and changes nothing.
    const dry = await cliOk(["-p", name, "--dry-run", "deploy"], {
      cwd: dir,
      env: env({ APP_TOKEN: second, LEVEL: level }),
      hide: [first, second],
    });
    expect(dry.stdout).toMatch(new RegExp(`^secret ${name}_token_[0-9a-f]{12}: create$`, "m"));
    expect(dry.stdout).toContain(`service ${name}_app: update`);
    expect(dry.stdout.includes(second)).toBe(false);
    expect((await stackObjects(name)).secrets).toEqual([secret1]);
    expect(await runningTask(name, "app")).toBe(task1);

    // A new value (and a new config): new versions, a new task with the new bytes, the old ones gone.
    level = "2";
    const rotated = await deploy(second);
    expect(rotated.stderr).toContain(`Service ${name}_app  Updated`);
    expect(rotated.stderr).toContain(`Secret ${secret1}  Removed`);
    const task2 = await runningTask(name, "app");
    expect(task2).not.toBe(task1);
    expect(await digestIn(task2, "/run/secrets/app/token")).toBe(sha256(second));
    expect(await digestIn(task2, "/etc/app/settings")).toBe(sha256("level=2"));
    expect(rotated.stderr).toContain(`Config ${config1}  Removed`);
    expect((await stackObjects(name)).configs).toEqual([expect.not.stringMatching(config1!)]);
    const secrets = (await stackObjects(name)).secrets;
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).not.toBe(secret1);
    const text = await stackSpecsText(name);
    expect(text.includes(first) || text.includes(second)).toBe(false);
  });

  it("bad input is refused before the Swarm is touched: missing file, unset variable, unknown external, build-only", async () => {
    const name = stack("sw-bad");
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    secrets: [from_env, missing_external]
  built:
    build: .
secrets:
  from_env:
    environment: NOT_SET_ANYWHERE
  missing_external:
    external: true
    name: no_such_swarm_secret_${name}
`,
      Dockerfile: "FROM scratch\n",
    });
    const unset = await cli(["-p", name, "deploy"], { cwd: dir, env: env() });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/secrets\.from_env\.environment: variable NOT_SET_ANYWHERE is not set/);
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });

    const planned = await cli(["-p", name, "deploy"], { cwd: dir, env: env({ NOT_SET_ANYWHERE: "x" }) });
    expect(planned.code).toBe(1);
    expect(planned.stderr).toMatch(
      /secrets\.missing_external\.external: the Swarm has no secret "no_such_swarm_secret_/,
    );
    expect(planned.stderr).toMatch(/services\.built\.image: a Swarm runs images, it cannot build them/);
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });

    const missingFile = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    secrets: [f]
secrets:
  f:
    file: ./nope.txt
`,
    });
    const missing = await cli(["-p", name, "deploy"], { cwd: missingFile, env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt/);
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });
  });

  it("--detach=false fails with the task's own error when tasks keep failing", async () => {
    const name = stack("sw-fail");
    const dir = await tempProject({
      "compose.yaml": `
services:
  broken:
    image: composec-test/no-such-image:1
    deploy:
      restart_policy: { condition: any, delay: 0s }
`,
    });
    const result = await cli(["-p", name, "deploy", "--detach=false"], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `error: service ${name}_broken did not converge: \\d+ tasks failed; the last: No such image: composec-test/no-such-image:1`,
      ),
    );
    const ps = await cliOk(["-p", name, "stack", "ps"], { cwd: dir, env: env() });
    expect(ps.stdout).toContain("No such image: composec-test/no-such-image:1");
    await cliOk(["-p", name, "undeploy"], { cwd: dir, env: env() });
    expect(await stackObjects(name)).toEqual({ services: [], secrets: [], configs: [], networks: [] });
  });

  it("a secret from the local store (x-composec-source: store) becomes a versioned Swarm secret", async () => {
    const name = stack("sw-store");
    const value = randomValue("stored");
    const storeEnv = env({ COMPOSEC_KEY_FILE: path.join(home, "master.key") });
    await cliOk(["secret", "create", `${name}_api`, "-"], { env: storeEnv, input: value, hide: [value] });
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    stop_grace_period: 1s
    secrets: [api]
secrets:
  api:
    external: true
    name: ${name}_api
    x-composec-source: store
`,
    });
    await cliOk(["-p", name, "deploy", "--detach=false"], { cwd: dir, env: storeEnv, hide: [value] });
    const task = await runningTask(name, "app");
    expect(await digestIn(task, "/run/secrets/api")).toBe(sha256(value));
    expect((await stackObjects(name)).secrets).toEqual([
      expect.stringMatching(new RegExp(`^${name}_api_[0-9a-f]{12}$`)),
    ]);
    await cliOk(["secret", "rm", `${name}_api`], { env: storeEnv });
  });
});

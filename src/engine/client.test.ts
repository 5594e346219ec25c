import { describe, expect, it, vi } from "vitest";
import { EngineError } from "../errors.js";
import type Docker from "dockerode";
import {
  DockerEngine,
  hasActiveEndpoints,
  splitEndpoints,
  isRemovalInProgress,
  isStartRace,
  toEngineError,
} from "./client.js";
import { SshEndpointError } from "./ssh-agent.js";

describe("toEngineError", () => {
  const local = { kind: "unix", socketPath: "/var/run/docker.sock" } as const;

  it("starts with the resource and keeps the engine's own words", () => {
    const error = toEngineError(
      "container demo-web-1",
      Object.assign(new Error("(HTTP code 404) no such container"), {
        statusCode: 404,
        json: { message: "No such image: x:1" },
      }),
      local,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toBe("container demo-web-1: No such image: x:1");
    expect(error.resource).toBe("container demo-web-1");
  });

  it("says how to start the engine when the socket is missing or refuses", () => {
    const missing = toEngineError(
      "engine",
      Object.assign(new Error("connect ENOENT"), { code: "ENOENT" }),
      local,
    );
    expect(missing.message).toContain(
      "no socket at /var/run/docker.sock; start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`)",
    );
    const denied = toEngineError(
      "engine",
      Object.assign(new Error("connect EACCES"), { code: "EACCES" }),
      local,
    );
    expect(denied.message).toContain("permission denied");
  });

  it("names the remote endpoint in TLS and ssh failures", () => {
    const tls = {
      kind: "tcp",
      host: "127.0.0.1",
      port: 2376,
      protocol: "https",
      tls: { ca: "/certs/ca.pem", cert: "/certs/cert.pem", key: "/certs/key.pem", verify: true },
    } as const;
    const untrusted = toEngineError(
      "engine",
      Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      }),
      tls,
    );
    expect(untrusted.message).toMatch(
      /^cannot reach the Docker Engine at tcp:\/\/127\.0\.0\.1:2376: its TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); it must be signed by the CA in \/certs\/ca\.pem/,
    );
    const refused = toEngineError(
      "engine",
      Object.assign(new Error("ssl3_read_bytes:sslv3 alert bad certificate"), {
        code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
      }),
      tls,
    );
    expect(refused.message).toContain("it does not accept the client certificate /certs/cert.pem");
    const ssh = { kind: "ssh", user: "deploy", host: "prod", port: 22 } as const;
    expect(toEngineError("engine", new SshEndpointError("the host refused deploy's keys"), ssh).message).toBe(
      "cannot reach the Docker Engine at ssh://deploy@prod:22: the host refused deploy's keys",
    );
    expect(
      toEngineError("engine", Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), ssh).message,
    ).toBe(
      "cannot reach the Docker Engine at ssh://deploy@prod:22: connection refused (no ssh server there?); check that sshd runs on that host and port",
    );
  });
});

describe("isStartRace", () => {
  const engineError = (statusCode: number, message: string): Error =>
    Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
  const task = "d3e0ca1f84ae2e3d6a51ec803a4f408ab677a258d9939c5280f8efef4be7f3d0";

  it("is the engine starting the same container itself (after a dockerd restart)", () => {
    expect(isStartRace(engineError(500, `task ${task}: already exists`))).toBe(true);
  });

  it("is nothing else", () => {
    expect(isStartRace(engineError(500, "driver failed programming external connectivity"))).toBe(false);
    expect(isStartRace(engineError(409, `task ${task}: already exists`))).toBe(false);
    expect(isStartRace(engineError(500, "task abc: already exists"))).toBe(false);
    expect(isStartRace(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(false);
  });
});

describe("isRemovalInProgress", () => {
  const engineError = (statusCode: number, message: string): Error =>
    Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

  it("is another removal of the same container under way (a second down at once)", () => {
    expect(
      isRemovalInProgress(engineError(409, "removal of container demo-web-1 is already in progress")),
    ).toBe(true);
  });

  it("is nothing else", () => {
    expect(
      isRemovalInProgress(engineError(500, "removal of container demo-web-1 is already in progress")),
    ).toBe(false);
    expect(
      isRemovalInProgress(
        engineError(
          409,
          "You cannot remove a running container abc. Stop the container before attempting removal or force remove",
        ),
      ),
    ).toBe(false);
    expect(isRemovalInProgress(engineError(404, "No such container: abc"))).toBe(false);
  });
});

describe("DockerEngine.removeContainer", () => {
  const local = { kind: "unix", socketPath: "/var/run/docker.sock" } as const;
  const failure = (statusCode: number, message: string): Error =>
    Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
  const inProgress = () => failure(409, "removal of container demo-web-1 is already in progress");
  const gone = () => failure(404, "No such container: c1");
  /** Inspect's State of a container another removal holds: killing it (running), then removing it. */
  const removing = (running: boolean) => ({ Status: running ? "running" : "removing", Running: running });

  /** A dockerode whose remove and inspect answer, in turn, from the lists given. */
  function fakeDocker(answers: {
    remove: (Error | undefined)[];
    inspect: (Error | { Status: string; Running: boolean })[];
  }) {
    const calls: string[] = [];
    const next = <T>(list: T[], what: string): T => {
      const answer = list.shift();
      if (answer === undefined) throw new Error(`no ${what} answer left`);
      return answer;
    };
    const docker = {
      getContainer: () => ({
        remove: async () => {
          calls.push("remove");
          const answer = answers.remove.shift();
          if (answer) throw answer;
        },
        inspect: async () => {
          calls.push("inspect");
          const answer = next(answers.inspect, "inspect");
          if (answer instanceof Error) throw answer;
          return { State: answer };
        },
      }),
    } as unknown as Docker;
    return { docker, calls };
  }
  const ref = { id: "c1", name: "demo-web-1" };

  it("waits out another removal in progress and counts the container as removed", async () => {
    const fake = fakeDocker({ remove: [inProgress()], inspect: [removing(true), removing(false), gone()] });
    await new DockerEngine(fake.docker, local).removeContainer(ref, { force: true });
    expect(fake.calls).toEqual(["remove", "inspect", "inspect", "inspect"]);
  });

  it("removes it itself when the other removal ended without removing it (dead)", async () => {
    const fake = fakeDocker({
      remove: [inProgress(), undefined],
      inspect: [{ Status: "dead", Running: false }],
    });
    await new DockerEngine(fake.docker, local).removeContainer(ref, { force: true });
    expect(fake.calls).toEqual(["remove", "inspect", "remove"]);
  });

  it("waits no longer than COMPOSE_HTTP_TIMEOUT, then tries once more and says why it failed", async () => {
    const fake = fakeDocker({
      remove: [inProgress(), inProgress()],
      inspect: Array.from({ length: 100 }, () => removing(false)),
    });
    const error = await new DockerEngine(fake.docker, local, 8, 1).removeContainer(ref, { force: true }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(
      "container demo-web-1: removal of container demo-web-1 is already in progress",
    );
    expect(fake.calls.filter((call) => call === "remove")).toHaveLength(2);
  });

  it("counts a container already gone as removed", async () => {
    const fake = fakeDocker({ remove: [gone()], inspect: [] });
    await new DockerEngine(fake.docker, local).removeContainer(ref);
    expect(fake.calls).toEqual(["remove"]);
  });

  it("still fails on any other refusal", async () => {
    const fake = fakeDocker({
      remove: [failure(409, "You cannot remove a running container c1")],
      inspect: [],
    });
    await expect(new DockerEngine(fake.docker, local).removeContainer(ref)).rejects.toThrow(
      "container demo-web-1: You cannot remove a running container c1",
    );
  });
});

describe("splitEndpoints", () => {
  it("tells endpoints of live containers from those left by a gone container (ep-<id>)", () => {
    expect(
      splitEndpoints({
        "4f1c0a": { Name: "demo-db-1" },
        "ep-9b2e": { Name: "demo-web-1" },
        "ep-77aa": { Name: "demo-web-2" },
      }),
    ).toEqual({ live: ["4f1c0a"], orphans: ["demo-web-1", "demo-web-2"] });
    expect(splitEndpoints(undefined)).toEqual({ live: [], orphans: [] });
  });
});

describe("DockerEngine.removeNetwork", () => {
  const local = { kind: "unix", socketPath: "/var/run/docker.sock" } as const;
  const activeEndpoints = (): Error =>
    Object.assign(
      new Error(
        "(HTTP code 403) error while removing network: network demo_default id 1a has active endpoints",
      ),
      {
        statusCode: 403,
        json: { message: "error while removing network: network demo_default id 1a has active endpoints" },
      },
    );

  /** A dockerode whose network remove answers from `removes` in turn, and inspect lists `attached`. */
  function fakeDocker(removes: (Error | undefined)[], attached: Record<string, unknown>) {
    const calls: string[] = [];
    const docker = {
      getNetwork: () => ({
        remove: async () => {
          calls.push("remove");
          const answer = removes.shift();
          if (answer) throw answer;
        },
        inspect: async () => {
          calls.push("inspect");
          return { Containers: attached };
        },
        disconnect: async (options: { Container: string; Force: boolean }) => {
          calls.push(`disconnect ${options.Container} force=${options.Force}`);
        },
      }),
    } as unknown as Docker;
    return { docker, calls };
  }

  it("is the engine catching up when no container is attached: it tries again", async () => {
    expect(hasActiveEndpoints(activeEndpoints())).toBe(true);
    const fake = fakeDocker([activeEndpoints(), activeEndpoints(), undefined], {});
    await new DockerEngine(fake.docker, local).removeNetwork("demo_default");
    expect(fake.calls).toEqual(["remove", "inspect", "remove", "inspect", "remove"]);
  });

  it("fails at once while a container is really attached", async () => {
    const fake = fakeDocker([activeEndpoints()], { abc: { Name: "other" } });
    await expect(new DockerEngine(fake.docker, local).removeNetwork("demo_default")).rejects.toThrow(
      /network demo_default: .*has active endpoints/,
    );
    expect(fake.calls).toEqual(["remove", "inspect"]);
  });

  it("deletes an endpoint whose container is gone by a forced disconnect of its name, then removes", async () => {
    const fake = fakeDocker([activeEndpoints(), undefined], { "ep-7f3a": { Name: "demo-web-1" } });
    await new DockerEngine(fake.docker, local).removeNetwork("demo_default");
    expect(fake.calls).toEqual(["remove", "inspect", "disconnect demo-web-1 force=true", "remove"]);
  });

  it("names a stale endpoint count the engine keeps past the grace, and how it clears", async () => {
    const fake = fakeDocker(
      Array.from({ length: 200 }, () => activeEndpoints()),
      {},
    );
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    try {
      const removal = new DockerEngine(fake.docker, local).removeNetwork("demo_default").then(
        () => undefined,
        (caught: unknown) => caught,
      );
      await vi.advanceTimersByTimeAsync(11_000);
      const error = await removal;
      expect(error).toBeInstanceOf(EngineError);
      expect((error as Error).message).toMatch(
        /^network demo_default: .*has active endpoints, though no container is attached to it any more: .*stale endpoint count.*dockerd restarts/,
      );
    } finally {
      vi.useRealTimers();
    }
  });
});

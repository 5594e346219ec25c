// Intent: `logs` and `exec` as a user runs them through the built CLI against the real engine:
// every flag, output on the right stream, whole lines (a line cut across output chunks arrives in
// one piece), exit codes (exec returns the command's own), a TTY only when attached to one, and a
// reader that closes the pipe early (`| head -1`) ends the CLI quietly.
import { spawn, spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  cliPath,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
  waitFor,
} from "./helpers.js";

let name: string;
beforeEach(async () => {
  name = uniqueProjectName("logs");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

// `talk` prints to both streams, then a line in two pieces a second apart, then ends; `quiet`
// prints one line and keeps running; `tty` has a TTY (its log is not multiplexed).
const project = `
services:
  talk:
    image: ${images.busybox}
    command: ["sh", "-c", "echo out-1; echo err-1 >&2; echo out-2; printf 'first half '; sleep 1; echo second half; echo last"]
  quiet:
    image: ${images.busybox}
    command: ["sh", "-c", "echo quiet says hi; exec sleep 600"]
    init: true
  tty:
    image: ${images.busybox}
    tty: true
    command: ["sh", "-c", "echo on a tty; exec sleep 600"]
    init: true
`;

async function upAndSettle(dir: string): Promise<void> {
  const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
  expect(up.code, up.stderr).toBe(0);
  // Wait until `talk` has printed everything (it exits after its last line).
  await waitFor(async () => (await cli(["-p", name, "logs", "talk"], { cwd: dir })).stdout.includes("last"), {
    what: "talk's last line",
  });
}

describe("composec logs", () => {
  it("prints every container's lines on stdout, prefixed, with lines cut across chunks whole", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    await upAndSettle(dir);
    const result = await cli(["-p", name, "logs"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    // Prefixes padded to the widest name (`quiet-1`), no colour when piped.
    expect(lines).toContain("talk-1   | out-1");
    expect(lines).toContain("talk-1   | err-1");
    expect(lines).toContain("talk-1   | first half second half");
    expect(lines).toContain("quiet-1  | quiet says hi");
    expect(lines).toContain("tty-1    | on a tty");
    expect(result.stdout).not.toContain("\x1b[");
  });

  it("services, --tail, --no-log-prefix, -t and --since select and shape the output", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    await upAndSettle(dir);
    const tail = await cli(["-p", name, "logs", "--tail", "2", "--no-log-prefix", "talk"], { cwd: dir });
    expect(tail.stdout).toBe("first half second half\nlast\n");

    const stamped = await cli(["-p", name, "logs", "-t", "quiet"], { cwd: dir });
    expect(stamped.stdout).toMatch(/^quiet-1 {2}\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z quiet says hi\n$/);

    const recent = await cli(["-p", name, "logs", "--since", "1h", "quiet"], { cwd: dir });
    expect(recent.stdout).toBe("quiet-1  | quiet says hi\n");
    const future = await cli(["-p", name, "logs", "--since", "2099-01-01T00:00:00Z"], { cwd: dir });
    expect(future.code).toBe(0);
    expect(future.stdout).toBe("");
  });

  it("-f follows new output until the container stops", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  ticker:
    image: ${images.busybox}
    command: ["sh", "-c", "for i in 1 2 3; do echo tick $$i; sleep 0.5; done"]
`,
    });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code).toBe(0);
    const started = Date.now();
    const result = await cli(["-p", name, "logs", "-f"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("ticker-1  | tick 1\nticker-1  | tick 2\nticker-1  | tick 3\n");
    // It waited for the container rather than returning what was there at once.
    expect(Date.now() - started).toBeGreaterThan(500);
  });

  it("bad flags and unknown services are usage or project errors, with nothing on stdout", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const tail = await cli(["-p", name, "logs", "--tail", "many"], { cwd: dir });
    expect(tail.code, tail.stderr).toBe(2);
    expect(tail.stderr).toContain('--tail "many" is not a number of lines');
    const since = await cli(["-p", name, "logs", "--since", "yesterday"], { cwd: dir });
    expect(since.code, since.stderr).toBe(2);
    const unknown = await cli(["-p", name, "logs", "nope"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such service: "nope"');
    expect(unknown.stdout).toBe("");
  });
});

describe("composec exec", () => {
  it("runs in the service's container with -u, -e, -w, returns the command's exit code and streams", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const up = await cli(["-p", name, "up", "-d", "quiet"], { cwd: dir });
    expect(up.code).toBe(0);

    const flags = await cli(
      [
        "-p",
        name,
        "exec",
        "-T",
        "-u",
        "1000",
        "-e",
        "GREETING=hello",
        "-w",
        "/tmp",
        "quiet",
        "sh",
        "-c",
        "echo $GREETING $(id -u) $(pwd)",
      ],
      { cwd: dir },
    );
    expect(flags.code).toBe(0);
    expect(flags.stdout).toBe("hello 1000 /tmp\n");

    const failing = await cli(
      ["-p", name, "exec", "-T", "quiet", "sh", "-c", "echo to-out; echo to-err >&2; exit 42"],
      {
        cwd: dir,
      },
    );
    expect(failing.code).toBe(42);
    expect(failing.stdout).toBe("to-out\n");
    expect(failing.stderr).toBe("to-err\n");

    // Options after the command are the command's own.
    const passed = await cli(["-p", name, "exec", "-T", "quiet", "ls", "-d", "/tmp"], { cwd: dir });
    expect(passed.stdout).toBe("/tmp\n");
  });

  it("passes stdin through and ends it, so the command sees EOF", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    await cli(["-p", name, "up", "-d", "quiet"], { cwd: dir });
    const result = await cli(["-p", name, "exec", "-T", "quiet", "sh", "-c", "cat; echo done"], {
      cwd: dir,
      input: "line one\nline two\n",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("line one\nline two\ndone\n");
  });

  it("allocates a TTY when attached to one, and not with -T or when piped", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    await cli(["-p", name, "up", "-d", "quiet"], { cwd: dir });
    const piped = await cli(["-p", name, "exec", "quiet", "sh", "-c", "tty || true"], { cwd: dir });
    expect(piped.stdout).toBe("not a tty\n");
    // `script` gives the CLI a pseudo-terminal as its stdin and stdout.
    const inTerminal = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${cliPath} -p ${name} exec quiet tty`, "/dev/null"],
      { cwd: dir, encoding: "utf8", input: "" },
    );
    expect(inTerminal.status).toBe(0);
    expect(inTerminal.stdout).toMatch(/\/dev\/pts\/\d+/);
    const disabled = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${cliPath} -p ${name} exec -T quiet sh -c 'tty || true'`, "/dev/null"],
      { cwd: dir, encoding: "utf8", input: "" },
    );
    expect(disabled.stdout).toContain("not a tty");
  });

  it("-d returns at once; a stopped service or a missing one is a clear error", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    await cli(["-p", name, "up", "-d", "quiet"], { cwd: dir });
    const detached = await cli(
      ["-p", name, "exec", "-d", "quiet", "sh", "-c", "sleep 1; touch /tmp/marker"],
      {
        cwd: dir,
      },
    );
    expect(detached.code).toBe(0);
    await waitFor(
      async () =>
        (await cli(["-p", name, "exec", "-T", "quiet", "test", "-e", "/tmp/marker"], { cwd: dir })).code ===
        0,
      {
        what: "the detached command",
      },
    );

    const none = await cli(["-p", name, "exec", "-T", "talk", "true"], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('service "talk" has no container');
    await cli(["-p", name, "stop", "quiet"], { cwd: dir });
    const stopped = await cli(["-p", name, "exec", "-T", "quiet", "true"], { cwd: dir });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('service "quiet" is not running');
  });
});

describe("a closed stdout pipe", () => {
  it("`ps --format json | head -1` and `logs -f | head -1` end quietly, without EPIPE", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
${Array.from({ length: 4 }, (_, i) => `  s${i}:\n    image: ${images.busybox}\n    command: ["sh", "-c", "while true; do echo chatter; sleep 0.05; done"]\n    init: true`).join("\n")}
`,
    });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir })).code).toBe(0);
    for (const args of [
      ["ps", "--format", "json"],
      ["logs", "-f"],
    ]) {
      const result = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
        // The reader takes one line, then closes its end, as `head -1` does.
        const child = spawn(process.execPath, [cliPath, "-p", name, ...args], { cwd: dir });
        let stderr = "";
        let first = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.once("data", (chunk: Buffer) => {
          first = chunk.toString().split("\n")[0] as string;
          child.stdout.destroy();
        });
        child.on("close", (code) => resolve({ code, stderr, first }));
      });
      expect(result.first).not.toBe("");
      expect(result.stderr).not.toContain("EPIPE");
      expect(result.stderr).not.toContain("Error");
      expect(result.code).toBe(0);
    }
  });
});

import { describe, expect, it } from "vitest";
import { buildProgram } from "./main.js";
import type { Output } from "./output.js";

const quiet: Output = { stdout: () => {}, stderr: () => {}, stderrIsTTY: false, stdoutIsTTY: false };
const registered = async (argv: string[]) =>
  (await buildProgram(quiet, argv)).commands.map((command) => command.name());

describe("buildProgram", () => {
  it("registers only the command named, past global options and their values", async () => {
    expect(await registered(["config"])).toEqual(["config"]);
    expect(await registered(["-f", "up", "-p", "down", "--env-file=x", "--dry-run", "ps", "-a"])).toEqual([
      "ps",
    ]);
    expect(await registered(["-fcompose.yaml", "--project-directory", "logs", "exec", "web"])).toEqual([
      "exec",
    ]);
    expect(await registered(["--", "top"])).toEqual(["top"]);
  });

  it("registers every command for help, a typo or no command, so help lists them and typos get suggestions", async () => {
    for (const argv of [[], ["--help"], ["confg"], ["-p", "x"], ["constructor"]]) {
      const names = await registered(argv);
      expect(names).toContain("config");
      expect(names).toContain("secret");
      expect(names.length).toBeGreaterThan(20);
    }
  });

  it("help lists every command, each under the name its table entry runs", async () => {
    const program = await buildProgram(quiet, ["--help"]);
    const help = program.helpInformation();
    const names = program.commands.map((command) => command.name());
    for (const name of ["config", "check", "up", "down", "secret", "deploy", "undeploy", "stack", "convert"])
      expect(names).toContain(name);
    for (const name of names) {
      expect(help).toMatch(new RegExp(`^  ${name}\\b`, "m"));
      // The lazy table loads the module that registers exactly this command, nothing else.
      expect(await registered([name])).toEqual([name]);
    }
  });
});

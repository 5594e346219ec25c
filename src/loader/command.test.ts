// `command` and `entrypoint`: a string is split as a POSIX shell would split it (no expansion), a
// list is kept, null clears.
import { describe, expect, it } from "vitest";
import { shellSplit } from "./shell-split.js";
import { loadOk } from "./test-helpers.js";

describe("shellSplit", () => {
  it("splits on whitespace, groups quotes, honours backslashes", () => {
    expect(shellSplit("echo hello  world")).toEqual(["echo", "hello", "world"]);
    expect(shellSplit(`sh -c "echo 'a b' && exit 1"`)).toEqual(["sh", "-c", "echo 'a b' && exit 1"]);
    expect(shellSplit(`printf '%s\\n' x`)).toEqual(["printf", "%s\\n", "x"]);
    expect(shellSplit(`a\\ b "c\\"d" ''`)).toEqual(["a b", 'c"d', ""]);
    expect(shellSplit("echo $HOME")).toEqual(["echo", "$HOME"]);
  });
});

describe("command and entrypoint", () => {
  it("a string is split into argv; a list is kept as written", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          a:
            image: busybox
            command: sh -c "sleep 1 && echo 'done now'"
            entrypoint: /bin/tini --
          b:
            image: busybox
            command: ["echo", "a  b", "$$HOME"]
            entrypoint: []
      `,
    });
    expect(project.services["a"]!.command).toEqual(["sh", "-c", "sleep 1 && echo 'done now'"]);
    expect(project.services["a"]!.entrypoint).toEqual(["/bin/tini", "--"]);
    expect(project.services["b"]!.command).toEqual(["echo", "a  b", "$HOME"]);
    expect(project.services["b"]!.entrypoint).toEqual([]);
  });

  it("null clears the image's command", async () => {
    const { project } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    command: null\n",
    });
    expect(project.services["web"]!.command).toBeNull();
  });
});

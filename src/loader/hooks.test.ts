// `post_start` and `pre_stop`: each entry a command (string or list) with user, privileged,
// working_dir and environment; validated with located errors, appended across files, printed by
// `config` in a form that loads back to the same hooks.
import { describe, expect, it } from "vitest";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { loadFail, loadOk } from "./test-helpers.js";

const service = `
  services:
    web:
      image: x
      post_start:
        - command: echo "started here"
          user: root
          privileged: true
          working_dir: /srv
          environment: [A=1, B]
      pre_stop:
        - command: [sh, -c, "echo bye"]
`;

describe("lifecycle hooks", () => {
  it("are read in their canonical form", async () => {
    const { project } = await loadOk({ "compose.yaml": service }, { env: { B: "two" } });
    const web = project.services["web"]!;
    expect(web.postStart).toEqual([
      {
        command: ["echo", "started here"],
        user: "root",
        privileged: true,
        workingDir: "/srv",
        environment: { A: "1", B: "two" },
      },
    ]);
    expect(web.preStop).toEqual([{ command: ["sh", "-c", "echo bye"], privileged: false, environment: {} }]);
  });

  it("print as config prints them, and that text loads back the same", async () => {
    const first = await loadOk({ "compose.yaml": service }, { env: { B: "two" } });
    const text = toYamlText(toComposeDocument(first.project));
    expect(text).toContain("post_start:");
    const second = await loadOk({ "compose.yaml": text });
    expect(second.project.services["web"]!.postStart).toEqual(first.project.services["web"]!.postStart);
    expect(second.project.services["web"]!.preStop).toEqual(first.project.services["web"]!.preStop);
    expect(toYamlText(toComposeDocument(second.project))).toBe(text);
  });

  it("a later file's hooks run after the earlier file's", async () => {
    const { project } = await loadOk(
      {
        "a.yaml": "services:\n  web:\n    image: x\n    post_start: [{command: one}]\n",
        "b.yaml": "services:\n  web:\n    post_start: [{command: two}]\n",
      },
      { files: ["a.yaml", "b.yaml"] },
    );
    expect(project.services["web"]!.postStart!.map((hook) => hook.command)).toEqual([["one"], ["two"]]);
  });

  it("a hook without a command, or with an unknown field, is a located error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    pre_stop:\n      - user: root\n        wd: /x\n",
    });
    expect(errors).toEqual([
      "compose.yaml:5:9 services.web.pre_stop[0].command: is required: the command the hook runs",
      'compose.yaml:6:13 services.web.pre_stop[0].wd: unknown attribute "wd" in a lifecycle hook',
    ]);
  });

  it("pre_start is not part of the Compose Specification: an unknown attribute", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    pre_start: [{command: x}]\n",
    });
    expect(errors[0]).toMatch(
      /^compose\.yaml:4:5 services\.web\.pre_start: unknown attribute "pre_start" in a service; did you mean/,
    );
  });
});

// Top-level `configs` and a service's `configs:` (issue 11, part 3): each source, the rules between
// a config's fields (a secret's, plus inline `content`), grants with their defaults (`/<key>`, 0:0,
// 0444), merging by target, the checks against secrets, volumes and tmpfs, and `config` printing
// them so that its output loads back to the same text.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configHash } from "../model/config-hash.js";
import type { ServiceConfig } from "../model/project.js";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { configTarget } from "../model/secret-rules.js";
import { loadFail, loadIn, loadOk, expectOk } from "./test-helpers.js";

/** A service `web` granted `grants` (YAML list items), with `configs` (YAML under configs:). */
const compose = (grants: string, configs: string, serviceExtra = "") =>
  `services:\n  web:\n    image: busybox\n${serviceExtra}    configs:\n${grants}configs:\n${configs}`;

const two = "  c:\n    content: hello\n  d:\n    environment: D\n";
const env = { D: "from-d" };

const grant = (extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
  source: "c",
  target: "/c",
  uid: 0,
  gid: 0,
  mode: 0o444,
  ...extra,
});

describe("config sources", () => {
  it("file: relative to the file that declares it; name defaults to <project>_<key>", async () => {
    const { project, dir, warnings } = await loadOk(
      {
        "compose.yaml": compose("      - app\n", "  app:\n    file: ./conf/app.ini\n"),
        "conf/app.ini": "a=1\n",
      },
      { projectName: "demo" },
    );
    expect(project.configs["app"]).toEqual({
      key: "app",
      name: "demo_app",
      source: { kind: "file", path: join(dir, "conf/app.ini") },
      labels: {},
      extensions: {},
    });
    // configs are run now: no "not run yet" warning for them.
    expect(warnings).toEqual([]);
  });

  it("environment: the variable is named, read at delivery", async () => {
    const { project } = await loadOk({ "compose.yaml": compose("      - d\n", two) }, { env });
    expect(project.configs["d"]!.source).toEqual({ kind: "environment", variable: "D" });
  });

  it("content: interpolated like the rest of the file; $$ is a literal $", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": compose(
          "      - inline\n",
          "  inline:\n    content: |\n      debug=${DEBUG:-off}\n      name=${NAME}\n      price=$$5\n",
        ),
      },
      { env: { NAME: "web" } },
    );
    expect(project.configs["inline"]!.source).toEqual({
      kind: "content",
      content: "debug=off\nname=web\nprice=$5\n",
    });
  });

  it("an empty content is a 0-byte config, not a missing source", async () => {
    const { project } = await loadOk({ "compose.yaml": compose("      - e\n", '  e:\n    content: ""\n') });
    expect(project.configs["e"]!.source).toEqual({ kind: "content", content: "" });
  });

  it("external: the store name is the key, or name: (never prefixed); labels and x-* kept", async () => {
    const { project } = await loadOk({
      "compose.yaml": compose(
        "      - a\n      - b\n",
        "  a:\n    external: true\n  b:\n    external: true\n    name: shared.conf\n    labels: [team=web]\n    x-note: kept\n",
      ),
    });
    expect(project.configs["a"]).toMatchObject({ name: "a", source: { kind: "external", name: "a" } });
    expect(project.configs["b"]).toMatchObject({
      name: "shared.conf",
      source: { kind: "external", name: "shared.conf" },
      labels: { team: "web" },
      extensions: { "x-note": "kept" },
    });
  });

  it("external.name is the old spelling of name: accepted with a warning", async () => {
    const { project, warnings } = await loadOk({
      "compose.yaml": compose("      - a\n", "  a:\n    external:\n      name: old.conf\n"),
    });
    expect(project.configs["a"]!.source).toEqual({ kind: "external", name: "old.conf" });
    expect(warnings.join("\n")).toContain("external.name is deprecated");
  });

  it("template_driver is kept, as for secrets", async () => {
    const { project } = await loadOk({
      "compose.yaml": compose("      - c\n", "  c:\n    content: x\n    template_driver: golang\n"),
    });
    expect(project.configs["c"]!.templateDriver).toBe("golang");
  });
});

describe("config errors, located", () => {
  const refused = async (configs: string, grants = "      - c\n", request = {}) =>
    (await loadFail({ "compose.yaml": compose(grants, configs) }, request)).errors;

  it("no source", async () => {
    expect(await refused("  c:\n    labels: {a: b}\n")).toEqual([
      'compose.yaml:7:3 configs.c: config "c" has no source; give file: (a path), environment: (a variable name), content: (inline text) or external: true',
    ]);
  });

  it("two sources", async () => {
    expect(await refused("  c:\n    file: ./x\n    content: y\n")).toEqual([
      'compose.yaml:7:3 configs.c: config "c" has file and content; give exactly one source',
    ]);
  });

  it("external with a source", async () => {
    expect(await refused("  c:\n    external: true\n    content: y\n")).toEqual([
      "compose.yaml:9:14 configs.c.content: an external config takes its value from the secret store; remove content (only name and labels go with external)",
    ]);
  });

  it("an empty file or variable name", async () => {
    expect(
      await refused('  c:\n    file: ""\n  d:\n    environment: ""\n', "      - c\n      - d\n"),
    ).toEqual([
      'compose.yaml:9:11 configs.c.file: "" is not a path; give the file that holds the config, e.g. ./c',
      'compose.yaml:11:18 configs.d.environment: "" is not a variable name; give the variable that holds the config, e.g. D',
    ]);
  });

  it("a missing file and an unset variable, both at once", async () => {
    const errors = await refused(
      "  c:\n    file: ./nope.conf\n  d:\n    environment: NOPE\n",
      "      - c\n      - d\n",
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      /^compose\.yaml:9:11 configs\.c\.file: ".*nope\.conf" does not exist; create the file holding the config/,
    );
    expect(errors[1]).toBe(
      "compose.yaml:11:18 configs.d.environment: variable NOPE is not set; set it in the shell or in .env (an empty value is a 0-byte config)",
    );
  });

  it("a file only a disabled profile asks for is not checked", async () => {
    await loadOk({
      "compose.yaml":
        "services:\n  web:\n    image: x\n    profiles: [debug]\n    configs: [c]\nconfigs:\n  c:\n    file: ./nope\n",
    });
  });

  it("driver is a secret field, not a config's: an unknown attribute", async () => {
    expect(await refused("  c:\n    content: x\n    driver: vault\n")).toEqual([
      'compose.yaml:9:13 configs.c.driver: unknown attribute "driver" in a config',
    ]);
  });

  it("a bad key, and configs written as a list", async () => {
    expect(await refused("  bad name!:\n    content: x\n", "      - source: c\n")).toContain(
      'compose.yaml:7:3 configs.bad name!: "bad name!" is not a valid config name; use letters, digits, ".", "_" and "-"',
    );
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\nconfigs:\n  - c\n",
    });
    expect(errors).toEqual([
      "compose.yaml:4:1 configs: must be a mapping of config names to definitions, not a list",
    ]);
  });

  it("an undefined config, with a suggestion", async () => {
    const { errors } = await loadFail({ "compose.yaml": compose("      - cc\n", two) }, { env });
    expect(errors).toEqual([
      'compose.yaml:5:9 services.web.configs[0].source: config "cc" is not defined under top-level configs; did you mean "c"?',
    ]);
  });

  it("a target also used by a secret, by another config, by a volume or a tmpfs", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": `services:
  web:
    image: busybox
    volumes:
      - data:/var/data
    tmpfs: /scratch
    secrets:
      - source: s
        target: /etc/app.conf
    configs:
      - source: c
        target: /etc/app.conf
      - source: c
        target: /var/data
      - source: d
        target: /scratch
      - d
      - source: c
        target: /d
volumes:
  data: {}
secrets:
  s:
    environment: D
configs:
${two}`,
      },
      { env },
    );
    expect(errors).toEqual([
      'compose.yaml:12:17 services.web.configs[0].target: "/etc/app.conf" is also the target of services.web.secrets[0]; give each config its own target',
      'compose.yaml:14:17 services.web.configs[1].target: "/var/data" is also the target of a volume data mount of this service; choose another target',
      'compose.yaml:16:17 services.web.configs[2].target: "/scratch" is also the target of a tmpfs mount of this service; choose another target',
      'compose.yaml:19:17 services.web.configs[4].target: "/d" is also the target of services.web.configs[3]; give each config its own target',
    ]);
  });

  it("a target with .., empty, or at the root itself", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": compose(
          '      - source: c\n        target: ../etc/passwd\n      - source: c\n        target: ""\n      - source: c\n        target: /\n',
          two,
        ),
      },
      { env },
    );
    expect(errors).toEqual([
      'compose.yaml:6:17 services.web.configs[0].target: "../etc/passwd" has a ".." segment; use an absolute path without ".."',
      'compose.yaml:8:17 services.web.configs[1].target: "" is not a config target; use a file name such as app.conf or an absolute path',
      'compose.yaml:10:17 services.web.configs[2].target: "/" is a directory, not a file; name a file such as /etc/app.conf',
    ]);
  });

  it("uid, gid and mode as for secrets", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": compose(
          '      - source: c\n        uid: "-1"\n        gid: abc\n        mode: 0999\n',
          two,
        ),
      },
      { env },
    );
    expect(errors).toEqual([
      'compose.yaml:6:14 services.web.configs[0].uid: "-1" is not a uid; use a number from 0 to 4294967294, such as "1000"',
      'compose.yaml:7:14 services.web.configs[0].gid: "abc" is not a gid; use a number from 0 to 4294967294, such as "1000"',
      'compose.yaml:8:15 services.web.configs[0].mode: "0999" is not an octal number (8 and 9 are not octal digits); use an octal mode such as 0400',
    ]);
  });
});

describe("config grants", () => {
  const grants = async (lines: string, extra = "") =>
    (await loadOk({ "compose.yaml": compose(lines, two, extra) }, { env })).project.services["web"]!.configs;

  it("the short form: target /<key>, owner 0:0, mode 0444", async () => {
    expect(await grants("      - c\n")).toEqual([grant()]);
  });

  it("the long form; a relative target goes under /", async () => {
    expect(
      await grants(
        '      - source: c\n        target: etc/app.conf\n        uid: "1000"\n        gid: 1001\n        mode: 0440\n',
      ),
    ).toEqual([grant({ target: "/etc/app.conf", uid: 1000, gid: 1001, mode: 0o440 })]);
    expect(configTarget("etc//app/./x.conf")).toBe("/etc/app/x.conf");
  });

  it('mode: 0440, "0440", 0o440 and 288 mean the same; write bits dropped with a warning', async () => {
    const modes = await grants(
      '      - source: c\n        target: /a\n        mode: 0440\n      - source: c\n        target: /b\n        mode: "0440"\n      - source: c\n        target: /c\n        mode: 0o440\n      - source: c\n        target: /e\n        mode: 288\n',
    );
    expect(modes.map((g) => g.mode)).toEqual([0o440, 0o440, 0o440, 0o440]);
    const { project, warnings } = await loadOk(
      { "compose.yaml": compose("      - source: c\n        mode: 0755\n", two) },
      { env },
    );
    expect(project.services["web"]!.configs[0]!.mode).toBe(0o555);
    expect(warnings).toEqual([
      "compose.yaml:6:15 services.web.configs[0].mode: mode 0755 has write bits, but configs are read-only; applying 0555",
    ]);
  });

  it("a config under /run/secrets sits beside the service's secrets", async () => {
    expect(await grants("      - source: d\n        target: /run/secrets/d.conf\n")).toEqual([
      grant({ source: "d", target: "/run/secrets/d.conf" }),
    ]);
  });
});

describe("merging", () => {
  it("grants merge by target field by field; definitions key by key, later file wins", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": compose(
          '      - c\n      - source: d\n        target: /etc/d\n        uid: "1"\n',
          "  c:\n    content: base\n    labels: {a: '1'}\n  d:\n    environment: D\n",
        ),
        "override.yaml":
          'services:\n  web:\n    configs:\n      - source: d\n        target: /etc/d\n        mode: 0400\n      - source: c\n        target: /other\nconfigs:\n  c:\n    content: override\n    labels: {b: "2"}\n',
      },
      { env, files: ["compose.yaml", "override.yaml"] },
    );
    expect(project.services["web"]!.configs).toEqual([
      grant(),
      grant({ source: "d", target: "/etc/d", uid: 1, mode: 0o400 }),
      grant({ target: "/other" }),
    ]);
    expect(project.configs["c"]).toMatchObject({
      source: { kind: "content", content: "override" },
      labels: { a: "1", b: "2" },
    });
  });

  it("an include brings its configs; a relative file resolves in the included file's directory", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: x\n    configs: [inc]\n",
      "sub/compose.yaml": "services: {}\nconfigs:\n  inc:\n    file: ./inc.conf\n",
      "sub/inc.conf": "x",
    });
    expect(project.configs["inc"]!.source).toEqual({ kind: "file", path: join(dir, "sub/inc.conf") });
  });
});

describe("printing", () => {
  it("config prints configs canonically, and its output loads back to the same text", async () => {
    const first = await loadOk(
      {
        "compose.yaml": compose(
          '      - c\n      - source: d\n        target: etc/d.conf\n        uid: "7"\n        mode: 0400\n      - source: f\n        target: /run/secrets/f\n      - x\n',
          "  c:\n    content: |\n      price=$$5 ${D}\n  d:\n    environment: D\n  f:\n    file: ./f.conf\n    labels: [k=v]\n  x:\n    external: true\n    name: store.conf\n",
        ),
        "f.conf": "f",
      },
      { env },
    );
    const text = toYamlText(toComposeDocument(first.project));
    expect(text).toContain('    content: "price=$$5 from-d\\n"\n');
    expect(text).toContain(
      '      - source: d\n        target: /etc/d.conf\n        uid: "7"\n        gid: "0"\n        mode: "0400"\n',
    );
    writeFileSync(join(first.dir, "printed.yaml"), text);
    const second = expectOk(await loadIn(first.dir, { env, files: ["printed.yaml"] }));
    expect(toYamlText(toComposeDocument(second.project))).toBe(text);
    expect(second.project.configs).toEqual(first.project.configs);
  });
});

describe("config hash", () => {
  it("covers the grant (source, target, uid, gid, mode), not the config's bytes", async () => {
    const hashOf = async (grants: string, configs = two) => {
      const { project } = await loadOk(
        { "compose.yaml": compose(grants, configs) },
        { env, projectName: "hash" },
      );
      return configHash(project, project.services["web"]!);
    };
    const base = await hashOf("      - c\n");
    expect(await hashOf("      - c\n", two.replace("hello", "changed"))).toBe(base);
    for (const changed of [
      "      - d\n",
      "      - source: c\n        target: /x\n",
      '      - source: c\n        uid: "1"\n',
      '      - source: c\n        gid: "1"\n',
      "      - source: c\n        mode: 0400\n",
    ]) {
      expect(await hashOf(changed), changed).not.toBe(base);
    }
  });
});

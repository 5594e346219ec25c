// A service's `secrets:` (SECRETS-SPEC.md §1): short and long form, target resolution and its
// refusals, duplicate and colliding targets, uid/gid, and every form of `mode`.
import { describe, expect, it } from "vitest";
import type { ServiceSecret } from "../model/project.js";
import { secretTarget } from "../model/secret-rules.js";
import { idNumber } from "./canonicalize.js";
import { loadFail, loadOk, type Failed, type Loaded } from "./test-helpers.js";

/** Loads a service `web` with the given grants (YAML list items) and secrets s, t defined. */
const withGrants = (grants: string, serviceExtra = "") =>
  `services:\n  web:\n    image: busybox\n${serviceExtra}    secrets:\n${grants}secrets:\n  s:\n    environment: S\n  t:\n    environment: S\n`;

const env = { S: "v" };

async function grants(lines: string, serviceExtra = ""): Promise<ServiceSecret[]> {
  const { project } = await loadOk({ "compose.yaml": withGrants(lines, serviceExtra) }, { env });
  return project.services["web"]!.secrets;
}

async function refused(lines: string, serviceExtra = ""): Promise<Failed> {
  return loadFail({ "compose.yaml": withGrants(lines, serviceExtra) }, { env });
}

const grant = (extra: Partial<ServiceSecret> = {}): ServiceSecret => ({
  source: "s",
  target: "/run/secrets/s",
  uid: 0,
  gid: 0,
  mode: 0o444,
  ...extra,
});

describe("grant forms", () => {
  it("the short form is {source}; defaults target /run/secrets/<source>, 0:0, 0444", async () => {
    expect(await grants("      - s\n")).toEqual([grant()]);
  });

  it("the long form with every field", async () => {
    expect(
      await grants(
        '      - source: s\n        target: db.pw\n        uid: "1000"\n        gid: "1001"\n        mode: 0440\n',
      ),
    ).toEqual([grant({ target: "/run/secrets/db.pw", uid: 1000, gid: 1001, mode: 0o440 })]);
  });

  it("each service gets only the secrets it lists", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml":
          "services:\n  a:\n    image: x\n    secrets: [s]\n  b:\n    image: x\nsecrets:\n  s:\n    environment: S\n",
      },
      { env },
    );
    expect(project.services["a"]!.secrets).toHaveLength(1);
    expect(project.services["b"]!.secrets).toEqual([]);
  });

  it("one source may be granted at two targets", async () => {
    expect(await grants("      - s\n      - source: s\n        target: /etc/app/s\n")).toEqual([
      grant(),
      grant({ target: "/etc/app/s" }),
    ]);
  });

  it("a long grant without source is an error", async () => {
    const { errors } = await refused("      - target: x\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.secrets\[0\]/);
    expect(errors[0]).toContain("source");
  });

  it("an undefined secret is an error naming the service path and the secret, with a suggestion", async () => {
    const { errors } = await refused("      - s\n      - source: tt\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[1\]\.source: /);
    expect(errors[0]).toContain('"tt"');
    expect(errors[0]).toContain('did you mean "t"');
  });

  it("an undefined secret with no top-level secrets at all is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    secrets: [db_password]\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.secrets\[0\]/);
    expect(errors[0]).toContain('"db_password"');
  });
});

describe("targets", () => {
  it("secretTarget: relative under /run/secrets, absolute as given", () => {
    expect(secretTarget("s")).toBe("/run/secrets/s");
    expect(secretTarget("a/b")).toBe("/run/secrets/a/b");
    expect(secretTarget("./c")).toBe("/run/secrets/c");
    expect(secretTarget("/etc/app/key.pem")).toBe("/etc/app/key.pem");
  });

  it("secretTarget normalises what needs it: doubled slashes, . segments, a trailing slash", () => {
    expect(secretTarget("a//b")).toBe("/run/secrets/a/b");
    expect(secretTarget("/etc/./app/./key")).toBe("/etc/app/key");
    expect(secretTarget("/etc/app/key/")).toBe("/etc/app/key");
    expect(secretTarget("/etc/app/.")).toBe("/etc/app");
    expect(secretTarget("/etc/app/.hidden")).toBe("/etc/app/.hidden");
  });

  it("secretTarget refuses '..', empty, NUL and directories", () => {
    for (const bad of [
      "../etc/passwd",
      "a/../../b",
      "/etc/../x",
      "",
      "a\0b",
      "/",
      "/run/secrets",
      "/run/secrets/",
    ]) {
      expect(typeof secretTarget(bad), JSON.stringify(bad)).toBe("object");
    }
  });

  it("relative and absolute targets through the loader", async () => {
    expect(
      (
        await grants(
          "      - source: s\n        target: a/b\n      - source: t\n        target: /etc/app/t\n",
        )
      ).map((g) => g.target),
    ).toEqual(["/run/secrets/a/b", "/etc/app/t"]);
  });

  it("a target with .. is an error quoting it", async () => {
    const { errors } = await refused("      - source: s\n        target: ../../etc/shadow\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.target: /);
    expect(errors[0]).toContain('"../../etc/shadow"');
  });

  it("an empty target is an error", async () => {
    const { errors } = await refused("      - source: s\n        target: ''\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.target: /);
  });

  it("a target with a NUL byte is an error", async () => {
    const { errors } = await refused('      - source: s\n        target: "a\\0b"\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.target: /);
    expect(errors[0]).toContain("NUL");
  });

  it("two grants with the same resolved target are an error naming both", async () => {
    const { errors } = await refused("      - s\n      - source: t\n        target: /run/secrets/s\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ services\.web\.secrets\[1\]\.target: /);
    expect(errors[0]).toContain('"/run/secrets/s"');
    expect(errors[0]).toContain("secrets[0]");
  });

  it("the same short grant twice is an error", async () => {
    const { errors } = await refused("      - s\n      - s\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.secrets[1]");
  });

  it("a target equal to a bind, volume or tmpfs target of the service is an error naming both", async () => {
    for (const mount of [
      "    volumes: ['./key:/etc/app/key']\n",
      "    volumes: ['/etc/app/key']\n",
      "    tmpfs: [/etc/app/key]\n",
      "    volumes:\n      - type: tmpfs\n        target: /etc/app/key/\n",
    ]) {
      const { errors } = await loadFail(
        {
          "compose.yaml": withGrants("      - source: s\n        target: /etc/app/key\n", mount),
        },
        { env },
      );
      expect(errors, mount).toHaveLength(1);
      expect(errors[0]).toMatch(/services\.web\.secrets\[0\]\.target: /);
      expect(errors[0]).toContain('"/etc/app/key"');
    }
  });

  it("a volume or tmpfs at /run/secrets itself conflicts with secrets under it", async () => {
    for (const mount of ["    volumes: ['./secrets:/run/secrets']\n", "    tmpfs: /run/secrets\n"]) {
      const { errors } = await loadFail({ "compose.yaml": withGrants("      - s\n", mount) }, { env });
      expect(errors, mount).toHaveLength(1);
      expect(errors[0]).toContain("/run/secrets");
      expect(errors[0]).toContain("services.web");
    }
  });

  it("a volume at a parent such as /run is fine, and /run/secrets is fine without secrets under it", async () => {
    expect(await grants("      - s\n", "    volumes: ['./run:/run']\n    tmpfs: [/var/run]\n")).toEqual([
      grant(),
    ]);
    expect(
      await grants(
        "      - source: s\n        target: /etc/app/s\n",
        "    volumes: ['./secrets:/run/secrets']\n",
      ),
    ).toEqual([grant({ target: "/etc/app/s" })]);
  });
});

describe("uid and gid", () => {
  it("idNumber: decimal digits as strings or integers, 0..2^32-2", () => {
    expect(idNumber("1000", "uid")).toBe(1000);
    expect(idNumber(1000, "uid")).toBe(1000);
    expect(idNumber("0", "gid")).toBe(0);
    expect(idNumber(4294967294, "uid")).toBe(4294967294);
    for (const bad of ["-1", -1, "abc", "10a", "", "1.5", 1.5, 4294967295, "99999999999"]) {
      expect(typeof idNumber(bad, "uid"), String(bad)).toBe("string");
    }
  });

  it("strings and YAML integers through the loader", async () => {
    expect(await grants('      - source: s\n        uid: "1000"\n        gid: 1001\n')).toEqual([
      grant({ uid: 1000, gid: 1001 }),
    ]);
  });

  it("negative, non-numeric or too large: an error naming the path and the value", async () => {
    for (const [field, value, shown] of [
      ["uid", "-1", '"-1"'],
      ["gid", '"abc"', '"abc"'],
      ["uid", "4294967295", '"4294967295"'],
      ["gid", '"app"', '"app"'],
    ] as const) {
      const { errors } = await refused(`      - source: s\n        ${field}: ${value}\n`);
      expect(errors, `${field}: ${value}`).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(`^compose\\.yaml:6:\\d+ services\\.web\\.secrets\\[0\\]\\.${field}: `),
      );
      expect(errors[0]).toContain(shown);
    }
  });
});

describe("mode", () => {
  const modeOf = async (written: string) => {
    const result: Loaded = await loadOk(
      { "compose.yaml": withGrants(`      - source: s\n        mode: ${written}\n`) },
      { env },
    );
    return { mode: result.project.services["web"]!.secrets[0]!.mode, warnings: result.warnings };
  };

  it("0400 unquoted, '0400', '400' and 0o400 all mean 0400, without a warning", async () => {
    for (const written of ["0400", '"0400"', '"400"', "0o400", "'0o400'"]) {
      const { mode, warnings } = await modeOf(written);
      expect(mode, written).toBe(0o400);
      expect(warnings, written).toEqual([]);
    }
  });

  it("the decimal integer 256 means 0400 too", async () => {
    expect((await modeOf("256")).mode).toBe(0o400);
  });

  it("0 and 0444 are fine", async () => {
    expect((await modeOf("0")).mode).toBe(0);
    expect((await modeOf("0444")).mode).toBe(0o444);
  });

  it("440 unquoted is decimal (0670) as in Compose: a warning suggests 0440", async () => {
    const { mode, warnings } = await modeOf("440");
    // 440 = 0o670; its write bits are dropped too.
    expect(mode).toBe(0o670 & ~0o222);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.mode: /);
    expect(warnings.join("\n")).toContain("0440");
  });

  it("a mode with write bits warns and is applied without them (0644 becomes 0444)", async () => {
    const { mode, warnings } = await modeOf("0644");
    expect(mode).toBe(0o444);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.mode: /);
    expect(warnings[0]).toContain("0444");
    expect((await modeOf('"0600"')).mode).toBe(0o400);
    expect((await modeOf("0777")).mode).toBe(0o555);
  });

  it.each([
    ["01000", "01000"],
    ["0o1000", "0o1000"],
    ['"abc"', '"abc"'],
    ["9999", "9999"],
    ["512", "512"],
    ['"0999"', '"0999"'],
    ['"8"', '"8"'],
    ['"1000"', '"1000"'],
    ['""', '""'],
    ["1.5", "1.5"],
    ["-1", "-1"],
    ["true", "true"],
  ])("mode: %s is an error naming the path and the value as written", async (written, shown) => {
    const { errors } = await refused(`      - source: s\n        mode: ${written}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.mode: /);
    expect(errors[0]).toContain(shown);
    expect(errors[0]).toContain("0400");
  });
});

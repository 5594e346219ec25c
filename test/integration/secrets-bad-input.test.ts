// Intent: SECRETS-SPEC.md §3 at `up`: every bad secret is found before the first engine call or
// host change. Each case exits 1 with one clear error naming the compose file and the secret (or
// service), prints no stack trace, and creates nothing: no container, network or volume with the
// project's label, no /run/composec/<project>, no file in the project directory (a missing source
// is never created, as a file or a directory). A FIFO source must not hang the CLI.
import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
  type FileSpec,
} from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  IDLE,
  listing,
  materialDir,
  materialGone,
  sha256,
} from "./secrets-helpers.js";

const MIB = 1024 * 1024;

type Special = "fifo" | "directory" | { symlink: string } | { size: number };

interface BadCase {
  name: string;
  files: Record<string, FileSpec>;
  special?: Record<string, Special>;
  env?: Record<string, string | undefined>;
  /** Substrings stderr must contain (the file and line, the secret or service, the value). */
  stderr: string[];
  /** A path (relative to the project) that must not exist afterwards. */
  absent?: string;
}

/** Service `web` (with a network-making sibling `db` and a volume) granting `grants`. */
const project = (grants: string, secrets: string, serviceExtra = "") =>
  `services:
  db:
    image: ${images.busybox}
    command: ${IDLE}
    volumes: [data:/data]
  web:
    image: ${images.busybox}
    command: ${IDLE}
${serviceExtra}    secrets:
${grants}${secrets}volumes:
  data: {}
`;
const dbPassword = "secrets:\n  db_password:\n    file: ./db_password.txt\n";
const ok = { "db_password.txt": "x" };

const cases: BadCase[] = [
  {
    name: "missing file (nothing created in its place)",
    files: { "compose.yaml": project("      - db_password\n", dbPassword) },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", "db_password.txt"],
    absent: "db_password.txt",
  },
  {
    name: "missing file in a missing directory (neither created)",
    files: {
      "compose.yaml": project(
        "      - db_password\n",
        "secrets:\n  db_password:\n    file: ./conf/db_password.txt\n",
      ),
    },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", "conf/db_password.txt"],
    absent: "conf",
  },
  {
    name: "file is a directory",
    files: { "compose.yaml": project("      - db_password\n", dbPassword) },
    special: { "db_password.txt": "directory" },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", "db_password.txt", "directory"],
  },
  {
    name: "file is a FIFO (must not hang)",
    files: { "compose.yaml": project("      - db_password\n", dbPassword) },
    special: { "db_password.txt": "fifo" },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", "db_password.txt"],
  },
  {
    name: "dangling symlink",
    files: { "compose.yaml": project("      - db_password\n", dbPassword) },
    special: { "db_password.txt": { symlink: "./gone.txt" } },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", "db_password.txt"],
    absent: "gone.txt",
  },
  {
    name: "empty path",
    files: { "compose.yaml": project("      - db_password\n", "secrets:\n  db_password:\n    file: ''\n") },
    stderr: ["compose.yaml:13:", "secrets.db_password.file"],
  },
  {
    name: "path that interpolates to empty",
    files: {
      "compose.yaml": project(
        "      - db_password\n",
        "secrets:\n  db_password:\n    file: ${SECRET_PATH}\n",
      ),
    },
    env: { SECRET_PATH: undefined },
    stderr: ["compose.yaml:13:", "secrets.db_password.file"],
  },
  {
    name: "unset environment variable",
    files: {
      "compose.yaml": project(
        "      - db_password\n",
        "secrets:\n  db_password:\n    environment: DB_PASSWORD\n",
      ),
    },
    env: { DB_PASSWORD: undefined },
    stderr: ["compose.yaml:13:", "secrets.db_password.environment", "DB_PASSWORD"],
  },
  {
    name: "undefined reference",
    files: { "compose.yaml": project("      - db_pasword\n", dbPassword), ...ok },
    stderr: ["compose.yaml:10:", "services.web.secrets[0]", '"db_pasword"'],
  },
  {
    name: "file and environment together",
    files: {
      "compose.yaml": project(
        "      - db_password\n",
        "secrets:\n  db_password:\n    file: ./db_password.txt\n    environment: DB_PASSWORD\n",
      ),
      ...ok,
    },
    env: { DB_PASSWORD: "x" },
    stderr: ["compose.yaml:12:", "secrets.db_password", "file", "environment"],
  },
  {
    name: ".. in a target",
    files: {
      "compose.yaml": project("      - source: db_password\n        target: ../../etc/shadow\n", dbPassword),
      ...ok,
    },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].target", '"../../etc/shadow"'],
  },
  {
    name: ".. inside an absolute target",
    files: {
      "compose.yaml": project(
        "      - source: db_password\n        target: /run/secrets/../../etc/x\n",
        dbPassword,
      ),
      ...ok,
    },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].target", '"/run/secrets/../../etc/x"'],
  },
  {
    name: "duplicate targets",
    files: {
      "compose.yaml": project(
        "      - db_password\n      - source: other\n        target: db_password\n",
        `${dbPassword}  other:\n    file: ./db_password.txt\n`,
      ),
      ...ok,
    },
    stderr: ["compose.yaml:12:", "services.web.secrets[1].target", "/run/secrets/db_password"],
  },
  {
    name: "target equal to a volume's target",
    files: {
      "compose.yaml": project(
        "      - source: db_password\n        target: /etc/app/key\n",
        dbPassword,
        "    volumes: ['./key:/etc/app/key']\n",
      ),
      ...ok,
    },
    stderr: ["compose.yaml:", "services.web.secrets[0].target", '"/etc/app/key"'],
    absent: "key",
  },
  {
    name: "target inside a volume's target (a volume at /run/secrets)",
    files: {
      "compose.yaml": project("      - db_password\n", dbPassword, "    volumes: ['data:/run/secrets']\n"),
      ...ok,
    },
    stderr: ["compose.yaml:", "services.web", "/run/secrets"],
  },
  {
    name: "target inside a tmpfs's target (a tmpfs at /run/secrets)",
    files: {
      "compose.yaml": project("      - db_password\n", dbPassword, "    tmpfs: [/run/secrets]\n"),
      ...ok,
    },
    stderr: ["compose.yaml:", "services.web", "/run/secrets"],
  },
  {
    name: "non-numeric uid",
    files: { "compose.yaml": project("      - source: db_password\n        uid: app\n", dbPassword), ...ok },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].uid", '"app"'],
  },
  {
    name: "negative uid",
    files: { "compose.yaml": project("      - source: db_password\n        uid: -1\n", dbPassword), ...ok },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].uid", "-1"],
  },
  {
    name: "negative gid",
    files: { "compose.yaml": project('      - source: db_password\n        gid: "-5"\n', dbPassword), ...ok },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].gid", "-5"],
  },
  {
    name: "non-numeric gid",
    files: { "compose.yaml": project("      - source: db_password\n        gid: 10x\n", dbPassword), ...ok },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].gid", "10x"],
  },
  {
    name: "mode out of range",
    files: {
      "compose.yaml": project("      - source: db_password\n        mode: 01000\n", dbPassword),
      ...ok,
    },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].mode", "01000"],
  },
  {
    name: "mode unparsable",
    files: {
      "compose.yaml": project('      - source: db_password\n        mode: "rw-r--r--"\n', dbPassword),
      ...ok,
    },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].mode", '"rw-r--r--"'],
  },
  {
    name: "mode with a non-octal digit",
    files: {
      "compose.yaml": project('      - source: db_password\n        mode: "0489"\n', dbPassword),
      ...ok,
    },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].mode", "0489"],
  },
  {
    name: "negative mode",
    files: { "compose.yaml": project("      - source: db_password\n        mode: -1\n", dbPassword), ...ok },
    stderr: ["compose.yaml:11:", "services.web.secrets[0].mode", "-1"],
  },
  {
    name: "bad secret name",
    files: {
      "compose.yaml": project(
        '      - "bad name!"\n',
        'secrets:\n  "bad name!":\n    file: ./db_password.txt\n',
      ),
      ...ok,
    },
    stderr: ["compose.yaml:", '"bad name!"'],
  },
  {
    name: "source over the 1 MiB cap",
    files: { "compose.yaml": project("      - db_password\n", dbPassword) },
    special: { "db_password.txt": { size: MIB + 1 } },
    stderr: ["compose.yaml:13:", "secrets.db_password.file", String(MIB + 1), String(MIB)],
  },
];

async function makeSpecial(dir: string, special: Record<string, Special>): Promise<void> {
  for (const [name, kind] of Object.entries(special)) {
    const file = path.join(dir, name);
    if (kind === "fifo") execFileSync("mkfifo", [file]);
    else if (kind === "directory") await mkdir(file, { recursive: true });
    else if ("symlink" in kind) await symlink(kind.symlink, file);
    else await writeFile(file, Buffer.alloc(kind.size, "x"));
  }
}

const names: string[] = [];
afterEach(async () => {
  for (const name of names.splice(0)) {
    await cli(["-p", name, "down", "-t", "0"]);
    await removeProjectResources(name);
  }
});
afterAll(cleanupTempProjects);

describe("composec up on bad secrets", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const name = uniqueProjectName("bad");
    names.push(name);
    await removeProjectResources(name);
    const dir = await tempProject(c.files);
    await makeSpecial(dir, c.special ?? {});
    const before = await listing(dir);
    const started = Date.now();
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir, env: c.env ?? {}, timeoutMs: 20_000 });
    // Killed by the timeout (a hang) shows as 137.
    expect(result.code, result.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const expected of c.stderr) expect(result.stderr).toContain(expected);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
    expect(result.stderr).not.toContain("internal error");
    const lines = result.stderr.split("\n").filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^(error|warning): /);
    // One problem, one error line (other lines may only be warnings).
    expect(lines.filter((line) => line.startsWith("error: "))).toHaveLength(1);
    expect(result.stdout).toBe("");

    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(materialGone(name), `${materialDir(name)} exists`).toBe(true);
    expect(await listing(dir)).toEqual(before);
    if (c.absent) expect(before.some((entry) => entry.endsWith(` ${c.absent}`))).toBe(false);
  });

  // The cap is inclusive: a source of exactly 1 MiB is a valid secret, delivered whole.
  it("a source of exactly 1 MiB is delivered", async () => {
    const name = uniqueProjectName("bad-cap");
    names.push(name);
    await removeProjectResources(name);
    const bytes = Buffer.alloc(MIB, 0x5a);
    bytes.write("end", MIB - 3);
    const dir = await tempProject({
      "compose.yaml": `services:\n  web:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [big]\nsecrets:\n  big:\n    file: ./big.bin\n`,
      "big.bin": bytes,
    });
    await cliOk(["-p", name, "up", "-d"], { cwd: dir });
    expect(await digestIn(`${name}-web-1`, "/run/secrets/big")).toBe(sha256(bytes));
  });

  // CLARIFICATIONS 14: a volume at a parent of the secrets (here /run) is no conflict.
  it("a volume at a parent directory (/run) does not hide the secrets", async () => {
    const name = uniqueProjectName("bad-parent");
    names.push(name);
    await removeProjectResources(name);
    const dir = await tempProject({
      "compose.yaml": `services:\n  web:\n    image: ${images.busybox}\n    command: ${IDLE}\n    volumes: [run:/run]\n    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\nvolumes:\n  run: {}\n`,
      "s.txt": "parent-volume-check",
    });
    await cliOk(["-p", name, "up", "-d"], { cwd: dir });
    expect(await digestIn(`${name}-web-1`, "/run/secrets/s")).toBe(sha256("parent-volume-check"));
  });
});

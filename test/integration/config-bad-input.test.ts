// The bad-input corpus (SECRETS-SPEC.md §3, the foundation issue's list) through the built CLI, as a
// user meets it: each case must exit non-zero with one clear message naming the file (with line),
// the path inside it and the value; print nothing on stdout and no stack trace; and create nothing,
// neither in the project directory nor on the engine.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  PROJECT_LABEL,
  tempProject,
  type FileSpec,
} from "./helpers.js";

afterAll(cleanupTempProjects);

type Special = "fifo" | "directory" | "socket" | { symlink: string } | { size: number };

interface BadCase {
  name: string;
  files: Record<string, FileSpec>;
  /** Entries tempProject cannot write, made after the files. */
  special?: Record<string, Special>;
  /** Arguments before `config` (global flags). */
  args?: string[];
  /** The command and its flags; default `config`. */
  command?: string[];
  /** Added to the environment; `undefined` makes sure a variable is unset. */
  env?: Record<string, string | undefined>;
  code: number;
  /** Substrings stderr must contain. */
  stderr: string[];
  /** Substrings stderr must not contain. */
  notStderr?: string[];
}

const image = images.busybox;

/** A service `web` using `grants` (YAML list items at 6 spaces), then `rest` (top level). */
const web = (grants: string, rest: string, serviceExtra = "") =>
  `services:\n  web:\n    image: ${image}\n${serviceExtra}    secrets:\n${grants}${rest}`;

const dbPassword = "secrets:\n  db_password:\n    file: ./db_password.txt\n";

const cases: BadCase[] = [
  {
    name: "missing secret file",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "db_password.txt"],
  },
  {
    name: "secret file is a directory",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    special: { "db_password.txt": "directory" },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "db_password.txt", "directory"],
  },
  {
    name: "secret file is a FIFO (must not hang)",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    special: { "db_password.txt": "fifo" },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "db_password.txt"],
  },
  {
    name: "secret file is a socket",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    special: { "db_password.txt": "socket" },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "socket"],
  },
  {
    name: "secret file is a device",
    files: {
      "compose.yaml": web("      - db_password\n", "secrets:\n  db_password:\n    file: /dev/null\n"),
    },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "/dev/null", "device"],
  },
  {
    name: "secret file is a dangling symlink",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    special: { "db_password.txt": { symlink: "./gone.txt" } },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "db_password.txt", "link"],
  },
  {
    name: "empty file: ''",
    files: { "compose.yaml": web("      - db_password\n", "secrets:\n  db_password:\n    file: ''\n") },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", '""'],
  },
  {
    name: "file: that interpolates to empty",
    files: {
      "compose.yaml": web("      - db_password\n", "secrets:\n  db_password:\n    file: ${SECRET_FILE}\n"),
    },
    env: { SECRET_FILE: undefined },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file"],
  },
  {
    name: "environment variable unset",
    files: {
      "compose.yaml": web(
        "      - db_password\n",
        "secrets:\n  db_password:\n    environment: DB_PASSWORD\n",
      ),
    },
    env: { DB_PASSWORD: undefined },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.environment", "DB_PASSWORD"],
  },
  {
    name: "secret file larger than the 1 MiB cap",
    files: { "compose.yaml": web("      - db_password\n", dbPassword) },
    special: { "db_password.txt": { size: 1024 * 1024 + 1 } },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.file", "1048577", "1048576"],
  },
  {
    name: "undefined secret referenced by a service",
    files: { "compose.yaml": web("      - db_pasword\n", dbPassword), "db_password.txt": "x" },
    code: 1,
    stderr: ["compose.yaml:5:", "services.web.secrets[0]", '"db_pasword"', 'did you mean "db_password"'],
  },
  {
    name: "undefined secret referenced by a build",
    files: {
      "compose.yaml":
        "services:\n  app:\n    build:\n      context: .\n      secrets:\n        - npm_token\n",
      Dockerfile: `FROM ${image}\n`,
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.app.build.secrets[0]", '"npm_token"'],
  },
  {
    name: "both file and environment",
    files: {
      "compose.yaml": web(
        "      - db_password\n",
        "secrets:\n  db_password:\n    file: ./db_password.txt\n    environment: DB_PASSWORD\n",
      ),
      "db_password.txt": "x",
    },
    env: { DB_PASSWORD: "x" },
    code: 1,
    stderr: ["compose.yaml:7:", "secrets.db_password", "file", "environment"],
    notStderr: ["not defined"],
  },
  {
    name: "neither file nor environment",
    files: { "compose.yaml": web("      - db_password\n", "secrets:\n  db_password:\n    labels: {a: b}\n") },
    code: 1,
    stderr: ["compose.yaml:7:", "secrets.db_password", "external"],
    notStderr: ["not defined"],
  },
  {
    name: "external plus a source",
    files: {
      "compose.yaml": web(
        "      - db_password\n",
        "secrets:\n  db_password:\n    external: true\n    file: ./db_password.txt\n",
      ),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:9:", "secrets.db_password.file", "external"],
    notStderr: ["not defined"],
  },
  {
    name: "content: on a secret",
    files: {
      "compose.yaml": web("      - db_password\n", "secrets:\n  db_password:\n    content: hunter2\n"),
    },
    code: 1,
    stderr: ["compose.yaml:8:", "secrets.db_password.content", "configs"],
  },
  {
    name: "bad secret key",
    files: {
      "compose.yaml": `services:\n  web:\n    image: ${image}\nsecrets:\n  "bad name!":\n    file: ./x.txt\n`,
      "x.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:5:", '"bad name!"'],
  },
  {
    name: "secrets written as a list",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\nsecrets:\n  - db_password\n` },
    code: 1,
    stderr: ["compose.yaml:", "secrets", "list"],
  },
  {
    name: "target with ..",
    files: {
      "compose.yaml": web("      - source: db_password\n        target: ../../etc/passwd\n", dbPassword),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.web.secrets[0].target", '"../../etc/passwd"'],
  },
  {
    name: "duplicate targets",
    files: {
      "compose.yaml": web(
        "      - db_password\n      - source: db_password\n        target: /run/secrets/db_password\n",
        dbPassword,
      ),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:7:", "services.web.secrets[1].target", '"/run/secrets/db_password"'],
  },
  {
    name: "target colliding with a volume",
    files: {
      "compose.yaml": web(
        "      - source: db_password\n        target: /etc/app/key\n",
        dbPassword,
        "    volumes: ['./key:/etc/app/key']\n",
      ),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:", "services.web.secrets[0].target", '"/etc/app/key"'],
  },
  {
    name: "volume at /run/secrets hiding a secret",
    files: {
      "compose.yaml": web("      - db_password\n", dbPassword, "    volumes: ['./mine:/run/secrets']\n"),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:", "services.web", "/run/secrets"],
  },
  {
    name: "uid not numeric",
    files: {
      "compose.yaml": web("      - source: db_password\n        uid: app\n", dbPassword),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.web.secrets[0].uid", '"app"'],
  },
  {
    name: "gid negative",
    files: {
      "compose.yaml": web("      - source: db_password\n        gid: -5\n", dbPassword),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.web.secrets[0].gid", "-5"],
  },
  {
    name: "mode out of range",
    files: {
      "compose.yaml": web("      - source: db_password\n        mode: 01000\n", dbPassword),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.web.secrets[0].mode", "01000", "0400"],
  },
  {
    name: "mode unparsable",
    files: {
      "compose.yaml": web('      - source: db_password\n        mode: "rw-r--r--"\n', dbPassword),
      "db_password.txt": "x",
    },
    code: 1,
    stderr: ["compose.yaml:6:", "services.web.secrets[0].mode", '"rw-r--r--"', "0400"],
  },
  {
    name: "YAML syntax error",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n   secrets: [a]\n` },
    code: 1,
    stderr: ["compose.yaml:4:"],
  },
  {
    name: "duplicate key",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n    image: other\n` },
    code: 1,
    stderr: ["compose.yaml:4:", '"image"'],
  },
  {
    name: "ports: 80 (not a list)",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n    ports: 80\n` },
    code: 1,
    stderr: ["compose.yaml:4:", "services.web.ports", "80"],
  },
  {
    name: "a service that is a string",
    files: { "compose.yaml": "services:\n  web: busybox\n" },
    code: 1,
    stderr: ["compose.yaml:2:", "services.web", '"busybox"'],
    notStderr: ['unknown attribute "0"'],
  },
  {
    name: "unknown attribute",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n    enviroment: {A: b}\n` },
    code: 1,
    stderr: ["compose.yaml:4:", "services.web.enviroment", 'did you mean "environment"'],
  },
  {
    name: "missing compose file",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n` },
    args: ["-f", "nope.yaml"],
    code: 1,
    stderr: ["nope.yaml"],
  },
  {
    name: "-f path is a directory",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n`, "sub/.keep": "" },
    args: ["-f", "sub"],
    code: 1,
    stderr: ["sub", "directory"],
  },
  {
    name: ".env line that does not parse",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n`, ".env": "A=1\n# c\nnot valid!=x\n" },
    code: 1,
    stderr: [".env:3"],
  },
  {
    name: "required variable unset",
    files: { "compose.yaml": `services:\n  web:\n    image: \${IMAGE:?set IMAGE to the image to run}\n` },
    env: { IMAGE: undefined },
    code: 1,
    stderr: ["compose.yaml:3:", "services.web.image", "IMAGE", "set IMAGE to the image to run"],
  },
  {
    name: "dependency cycle",
    files: {
      "compose.yaml": `services:\n  a:\n    image: ${image}\n    depends_on: [b]\n  b:\n    image: ${image}\n    depends_on: [a]\n`,
    },
    code: 1,
    stderr: ["compose.yaml:", "cycle", "a", "b"],
  },
  {
    name: "service with neither image nor build",
    files: { "compose.yaml": "services:\n  web:\n    command: [sleep, '1']\n" },
    code: 1,
    stderr: ["compose.yaml:2:", "services.web", "image", "build"],
  },
  {
    name: "invalid -p",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n` },
    args: ["-p", "Bad Name"],
    code: 1,
    stderr: ['"Bad Name"'],
  },
  {
    name: "many problems at once",
    files: {
      "compose.yaml": [
        "services:",
        "  web:",
        `    image: ${image}`,
        "    secrets:",
        "      - source: db_password",
        "        mode: 9999",
        "      - source: api_key",
        "        uid: nobody",
        "      - ghost",
        "secrets:",
        "  db_password:",
        "    file: ./missing.txt",
        "  api_key:",
        "    environment: API_KEY_UNSET",
        "",
      ].join("\n"),
    },
    env: { API_KEY_UNSET: undefined },
    code: 1,
    stderr: [
      "compose.yaml:6:",
      "services.web.secrets[0].mode",
      "compose.yaml:8:",
      "services.web.secrets[1].uid",
      "compose.yaml:9:",
      '"ghost"',
      "compose.yaml:12:",
      "secrets.db_password.file",
      "compose.yaml:14:",
      "API_KEY_UNSET",
    ],
  },
  {
    name: "unknown flag (usage error)",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n` },
    command: ["config", "--bogus"],
    code: 2,
    stderr: ["--bogus"],
  },
  {
    name: "unknown --format (usage error)",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n` },
    command: ["config", "--format", "xml"],
    code: 2,
    stderr: ['"xml"'],
  },
  {
    name: "unknown command (usage error)",
    files: { "compose.yaml": `services:\n  web:\n    image: ${image}\n` },
    command: ["confgi"],
    code: 2,
    stderr: ["confgi"],
  },
];

/** Every path under `dir` with its kind, sorted: the project directory as a user would see it. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => {
      const kind = entry.isDirectory() ? "d" : entry.isSymbolicLink() ? "l" : entry.isFile() ? "f" : "o";
      return `${kind} ${path.relative(dir, path.join(entry.parentPath, entry.name))}`;
    })
    .sort();
}

async function makeSpecial(dir: string, special: Record<string, Special>): Promise<Server[]> {
  const servers: Server[] = [];
  for (const [name, kind] of Object.entries(special)) {
    const file = path.join(dir, name);
    if (kind === "fifo") execFileSync("mkfifo", [file]);
    else if (kind === "directory") await mkdir(file, { recursive: true });
    else if (kind === "socket") {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(file, resolve));
      servers.push(server);
    } else if ("symlink" in kind) await symlink(kind.symlink, file);
    else await writeFile(file, Buffer.alloc(kind.size, "x"));
  }
  return servers;
}

/** The project name composec derives from a directory (Compose's normalisation). */
function projectNameOf(dir: string): string {
  return path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[^a-z0-9]+/, "");
}

async function engineResources(project: string): Promise<number> {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes ?? []).length;
}

describe("composec config on bad input", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const dir = await tempProject(c.files);
    const servers = await makeSpecial(dir, c.special ?? {});
    try {
      const before = await listing(dir);
      const result = await cli([...(c.args ?? []), ...(c.command ?? ["config"])], {
        cwd: dir,
        env: c.env ?? {},
        timeoutMs: 20_000,
      });
      expect(result.code, result.stderr).toBe(c.code);
      expect(result.stdout).toBe("");
      for (const expected of c.stderr) expect(result.stderr).toContain(expected);
      for (const unexpected of c.notStderr ?? []) expect(result.stderr).not.toContain(unexpected);
      // No stack trace, and (for project errors) every line is an error or a warning.
      expect(result.stderr).not.toMatch(/^ {4}at /m);
      expect(result.stderr).not.toContain("internal error");
      if (c.code === 1) {
        for (const line of result.stderr.split("\n").filter(Boolean)) {
          expect(line).toMatch(/^(error|warning): /);
        }
      }
      expect(await listing(dir)).toEqual(before);
      expect(await engineResources(projectNameOf(dir))).toBe(0);
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it("each problem is one line: one line per problem, no repeats", async () => {
    const dir = await tempProject({
      "compose.yaml": web("      - source: db_password\n        mode: 9999\n", dbPassword),
      "db_password.txt": "x",
    });
    const result = await cli(["config"], { cwd: dir });
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: \/.*compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.mode: .*9999/);
  });
});

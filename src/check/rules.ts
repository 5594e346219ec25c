// The catalogue of `composec check` rules: ids, names, default severities, and what to say about
// each. Ids are stable (SARIF consumers and suppressions name them); names are for people.
import type { Severity } from "./types.js";

export interface Rule {
  id: string;
  name: string;
  severity: Severity;
  /** One line: what the rule finds. */
  title: string;
  /** Why it matters. */
  why: string;
  /** What to do instead. */
  fix: string;
}

const MOVE_TO_SECRETS =
  "move the value to a file outside the project (or a variable of the shell) and declare it under top-level `secrets:` with `file:` or `environment:`; grant it with the service's `secrets:` (or `build.secrets` for a build) and rotate it";

export const RULES: readonly Rule[] = [
  {
    id: "CS001",
    name: "secret-value-reused",
    severity: "error",
    title: "A declared secret's value is written elsewhere in the project",
    why: "a value in environment, command, labels, build args, an .env file or a Dockerfile ends up in `docker inspect`, the image's history or the repository, where the secret's own protection does not reach",
    fix: "refer to the secret instead of its value: grant it with `secrets:` (read /run/secrets/<name>, or point a `*_FILE` variable at it) or `build.secrets`, and remove the copy",
  },
  {
    id: "CS002",
    name: "private-key",
    severity: "error",
    title: "A private key is written in the project",
    why: "a private key in environment, build args or a Dockerfile is visible to anyone who can inspect the container or pull the image",
    fix: MOVE_TO_SECRETS,
  },
  {
    id: "CS003",
    name: "cloud-access-key",
    severity: "error",
    title: "A cloud access key (AWS, Google) is written in the project",
    why: "cloud keys grant access to accounts and bills; in environment, build args or a Dockerfile they reach `docker inspect`, image layers and the repository",
    fix: MOVE_TO_SECRETS,
  },
  {
    id: "CS004",
    name: "service-token",
    severity: "error",
    title:
      "An access token of a common service (GitHub, GitLab, Slack, Stripe, npm, SendGrid) is written in the project",
    why: "a token in environment, build args or a Dockerfile reaches `docker inspect`, image layers and the repository",
    fix: MOVE_TO_SECRETS,
  },
  {
    id: "CS005",
    name: "connection-string-password",
    severity: "error",
    title: "A connection string carries a literal password",
    why: "the password in `scheme://user:password@host` is readable wherever the string goes: `docker inspect`, logs, image layers, the repository",
    fix: "keep the password out of the URL: give it to the service as a secret (most clients read a password file or a separate variable), or interpolate it from the shell (`${DB_PASSWORD}`)",
  },
  {
    id: "CS006",
    name: "credential-name-literal",
    severity: "warning",
    title: "A variable named like a credential has a literal value",
    why: "a variable called *PASSWORD*, *TOKEN*, *SECRET* or *API_KEY* with a value written in the file puts that value in the repository and in `docker inspect`",
    fix: MOVE_TO_SECRETS,
  },
  {
    id: "CS007",
    name: "credential-build-arg",
    severity: "warning",
    title: "A build argument is named like a credential",
    why: "build arguments are recorded in the image's history (`docker history`) and its metadata, whoever later pulls the image can read them",
    fix: "pass it as a build secret instead: `build.secrets` in the compose file and `RUN --mount=type=secret,id=<name>` in the Dockerfile",
  },
  {
    id: "CS008",
    name: "secret-file-in-git",
    severity: "error",
    title: "A secret's source file is tracked by git, or not ignored",
    why: "a tracked file is in the repository's history for everyone who clones it; an untracked one that .gitignore does not cover is one `git add .` away from it",
    fix: "add the file to .gitignore, remove it from the index (`git rm --cached FILE`), and rotate the secret if it was ever pushed",
  },
  {
    id: "CS009",
    name: "secret-file-permissions",
    severity: "warning",
    title: "A secret's source file is readable by group or others",
    why: "any other user (or group member) on the machine can read the secret",
    fix: "chmod 600 the file (composec delivers it with the grant's own uid, gid and mode, whatever the source's are)",
  },
  {
    id: "CS010",
    name: "secret-in-build-context",
    severity: "warning",
    title: "A secret file or .env file lies in a build context that .dockerignore does not exclude",
    why: "the whole context is sent to the builder, and a `COPY`/`ADD` that takes the file bakes it into an image layer for good",
    fix: "exclude the file in the context's .dockerignore (or keep it outside the context), and pass what the build needs with `build.secrets`",
  },
  {
    id: "CS011",
    name: "file-variable-dangling",
    severity: "warning",
    title: "A `*_FILE` variable points into /run/secrets where no granted secret is",
    why: "the process will look for a file that is not there and fail, or fall back to a default password",
    fix: "grant the secret the variable names in the service's `secrets:` (its target must be that path), or correct the path",
  },
  {
    id: "CS012",
    name: "grant-unannounced",
    severity: "note",
    title: "A granted secret is named by no variable, command or entrypoint of the service",
    why: "unless the image reads this path by itself, nothing uses the secret, or the process falls back to another source",
    fix: "tell the process where the secret is, usually with a `*_FILE` variable holding its target, or drop the grant",
  },
  {
    id: "CS013",
    name: "secret-unreadable",
    severity: "error",
    title: "A service's user cannot read a secret granted to it",
    why: "the grant's uid, gid and mode deny the service's non-root `user:`, so the process fails to read it at start",
    fix: 'give the grant `uid:` (and `gid:`) of the service\'s user, or a mode that lets it read, e.g. `uid: "1000"` with `mode: 0400`',
  },
  {
    id: "CS014",
    name: "unused-suppression",
    severity: "warning",
    title: "A suppression matches no finding",
    why: "a stale suppression would silently hide a new finding at the same place",
    fix: "remove the `# composec-ignore` comment or the `x-composec-check` entry",
  },
];

const byKey = new Map<string, Rule>();
for (const rule of RULES) {
  byKey.set(rule.id.toLowerCase(), rule);
  byKey.set(rule.name, rule);
}

/** The rule with this id (`CS006`, any case) or name (`credential-name-literal`). */
export function ruleFor(idOrName: string): Rule | undefined {
  return byKey.get(idOrName.toLowerCase());
}

/** The rule with this id; the id must exist. */
export function rule(id: string): Rule {
  return byKey.get(id.toLowerCase())!;
}

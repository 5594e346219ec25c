// `composec secret ...`: the local encrypted secret store, shaped like `docker secret`.
// Data (ls, inspect, log, the names created or removed, a revealed value) goes to stdout;
// what happened and warnings to stderr. The store itself is src/store/.
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { EngineError, StoreError, UsageError } from "../../errors.js";
import type { AuditEntry } from "../../store/audit.js";
import { engineInUseCheck, type InUseCheck } from "../../store/in-use.js";
import { findPassphrase, readPassphraseFile } from "../../store/key-file.js";
import { checkName, parseLabel } from "../../store/names.js";
import { keyFilePath, storeHome, type Environment } from "../../store/paths.js";
import { readValue } from "../../store/read-value.js";
import { openStore, type SecretInfo, type SecretStore } from "../../store/store.js";
import type { Output } from "../output.js";
import { humanDuration } from "../time.js";

/** What the secret commands take from their surroundings; tests and the engine wiring replace parts. */
export interface SecretCommandHooks {
  /** Which running projects use a secret (for `rm`); default: asks the Docker Engine. */
  isInUse?: InUseCheck;
  env?: Environment;
  stdin?: Readable;
  /** Writes a revealed value's exact bytes to standard output. */
  writeValue?: (bytes: Buffer) => Promise<void>;
}

interface StoreFlags {
  passphraseFile?: string;
}

const PASSPHRASE_FILE_HELP =
  "read the store's passphrase from this file (else COMPOSEC_PASSPHRASE, else the key file)";

/** Registers `composec secret` and its subcommands. */
export function registerSecret(program: Command, output: Output, hooks: SecretCommandHooks = {}): void {
  const env = hooks.env ?? process.env;
  const warn = (message: string) => output.stderr(`warning: ${message}\n`);
  const storeFor = async (flags: StoreFlags): Promise<SecretStore> => {
    const passphrase = await findPassphrase(env, flags.passphraseFile);
    return openStore({
      home: storeHome(env),
      keyFile: keyFilePath(env),
      ...(passphrase ? { passphrase } : {}),
      warn,
    });
  };

  const secret = program
    .command("secret")
    .description("Manage the local encrypted secret store that `external: true` secrets come from");

  secret
    .command("create")
    .description("Create a secret from a file, or from standard input with -")
    .argument("<name>", "secret name (letters, digits, '.', '_', '-')")
    .argument("<file>", "file holding the value, or - for standard input")
    .option("-l, --label <key=value>", "add a label (repeatable)", collect, [])
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (name: string, file: string, flags: StoreFlags & { label: string[] }) => {
      checkName(name);
      const labels = Object.fromEntries(flags.label.map(parseLabel));
      const store = await storeFor(flags);
      const stdin = hooks.stdin ?? process.stdin;
      if (file === "-" && (stdin as { isTTY?: boolean }).isTTY) {
        output.stderr("Reading the value from the terminal; end it with Ctrl-D.\n");
      }
      const value = await readValue(file, stdin);
      try {
        await store.create([{ name, value, labels }]);
      } finally {
        value.wipe();
      }
      output.stdout(`${name}\n`);
    });

  secret
    .command("ls")
    .description("List secrets (metadata only, never values)")
    .option("--format <format>", "table, or json (one object per line)", "table")
    .option("-q, --quiet", "only print names", false)
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (flags: StoreFlags & { format: string; quiet: boolean }) => {
      checkFormat(flags.format, "secret ls");
      const secrets = await (await storeFor(flags)).list();
      if (flags.quiet) output.stdout(secrets.map((s) => `${s.name}\n`).join(""));
      else if (flags.format === "json")
        output.stdout(secrets.map((s) => `${JSON.stringify(summary(s))}\n`).join(""));
      else output.stdout(formatSecretTable(secrets, Date.now()));
    });

  secret
    .command("inspect")
    .description("Show secrets' metadata as JSON (never values)")
    .argument("<names...>", "secret names")
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (names: string[], flags: StoreFlags) => {
      const store = await storeFor(flags);
      const found = await Promise.all(names.map((name) => store.inspect(name)));
      const missing = names.filter((_, i) => !found[i]);
      if (missing.length > 0) await missingError(store, missing);
      const details = found.map((s) => ({
        ...summary(s!),
        Versions: s!.versions.map((v) => ({
          Version: v.version,
          CreatedAt: v.created,
          Size: v.size,
          ...(v.rolledBackFrom !== undefined ? { RolledBackFrom: v.rolledBackFrom } : {}),
        })),
      }));
      output.stdout(`${JSON.stringify(details, null, 2)}\n`);
    });

  secret
    .command("rm")
    .description("Remove secrets with all their versions; refused while a running project uses one")
    .argument("<names...>", "secret names")
    .option("-f, --force", "remove even when a running project uses the secret", false)
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (names: string[], flags: StoreFlags & { force: boolean }) => {
      const store = await storeFor(flags);
      const known = new Set(await store.names());
      const missing = names.filter((name) => !known.has(name));
      if (missing.length > 0) await missingError(store, missing);
      if (!flags.force) {
        const isInUse = hooks.isInUse ?? engineInUseCheck(env);
        const busy: string[] = [];
        try {
          for (const name of names) {
            const projects = await isInUse(name);
            if (projects.length > 0) busy.push(`"${name}" is used by running project ${projects.join(", ")}`);
          }
        } catch (error) {
          if (!(error instanceof EngineError)) throw error;
          warn(
            `could not check whether a running project uses these secrets: ${error.message}; removing anyway`,
          );
        }
        if (busy.length > 0) {
          throw new StoreError(
            `not removed: ${busy.join("; ")}; stop the project first (composec down), or pass --force`,
          );
        }
      }
      await store.remove(names);
      output.stdout(names.map((name) => `${name}\n`).join(""));
    });

  secret
    .command("rotate")
    .description("Give a secret a new value, as a new version (earlier versions are kept for rollback)")
    .argument("<name>", "secret name")
    .argument("<file>", "file holding the new value, or - for standard input")
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (name: string, file: string, flags: StoreFlags) => {
      checkName(name);
      const store = await storeFor(flags);
      const value = await readValue(file, hooks.stdin ?? process.stdin);
      let version: number;
      try {
        version = await store.rotate(name, value);
      } finally {
        value.wipe();
      }
      output.stderr(`secret "${name}" is now version ${version}\n`);
    });

  secret
    .command("rollback")
    .description("Make an earlier version current again (default: the one before the current)")
    .argument("<name>", "secret name")
    .option("--to-version <n>", "the kept version to return to", parseVersion)
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (name: string, flags: StoreFlags & { toVersion?: number }) => {
      const store = await storeFor(flags);
      const { version, from } = await store.rollback(name, flags.toVersion);
      output.stderr(`secret "${name}" is now version ${version}, with the value of version ${from}\n`);
    });

  secret
    .command("reveal")
    .description("Print a secret's value (only to a terminal, unless --force)")
    .argument("<name>", "secret name")
    .option("--force", "write the value even when standard output is not a terminal", false)
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (name: string, flags: StoreFlags & { force: boolean }) => {
      if (!output.stdoutIsTTY && !flags.force) {
        throw new StoreError(
          `standard output is not a terminal: \`secret reveal\` writes "${name}"'s value only to a terminal; pass --force to write it to a pipe or file`,
        );
      }
      const store = await storeFor(flags);
      const { value } = await store.reveal(name);
      try {
        await (hooks.writeValue ?? writeToStdout)(value.bytes());
      } finally {
        value.wipe();
      }
    });

  secret
    .command("log")
    .description("Show the audit log: who created, rotated, removed, revealed or used secrets")
    .argument("[name]", "only this secret's entries")
    .option("--format <format>", "table, or json (one object per line)", "table")
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (name: string | undefined, flags: StoreFlags & { format: string }) => {
      checkFormat(flags.format, "secret log");
      const { entries, unreadable } = await (await storeFor(flags)).log(name);
      if (unreadable > 0) warn(`${unreadable} line(s) of the audit log are not valid JSON and were skipped`);
      if (flags.format === "json") output.stdout(entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
      else output.stdout(formatLogTable(entries));
    });

  secret
    .command("key")
    .description("Manage the store's key")
    .command("rotate")
    .description("Re-seal every value under a new key: a new key file, or --new-passphrase-file")
    .option(
      "--new-passphrase-file <path>",
      "seal under this passphrase from now on (instead of a new key file)",
    )
    .option("--passphrase-file <path>", PASSPHRASE_FILE_HELP)
    .action(async (flags: StoreFlags & { newPassphraseFile?: string }) => {
      const store = await storeFor(flags);
      const before = await store.exists();
      if (!before) throw new StoreError(`the secret store at ${store.home} does not exist yet`);
      const newKey =
        flags.newPassphraseFile === undefined
          ? ({ kind: "file" } as const)
          : ({
              kind: "passphrase",
              passphrase: await readPassphraseFile(flags.newPassphraseFile, "--new-passphrase-file"),
            } as const);
      const { count, previous } = await store.rotateKey(newKey);
      if (newKey.kind === "file") {
        output.stderr(`re-sealed ${count} value(s) under a new key in ${store.keyFile}\n`);
      } else {
        output.stderr(
          `re-sealed ${count} value(s) under the new passphrase; from now on give it with COMPOSEC_PASSPHRASE or --passphrase-file\n`,
        );
        if (previous === "file") {
          output.stderr(
            `the key file ${store.keyFile} no longer opens this store; delete it once you have checked\n`,
          );
        }
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseVersion(text: string): number {
  const version = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(`--to-version "${text}" is not a version number; use a whole number such as 2`);
  }
  return version;
}

function checkFormat(format: string, command: string): void {
  if (format !== "table" && format !== "json") {
    throw new UsageError(`--format "${format}" is not a format for ${command}; use table or json`);
  }
}

async function missingError(store: SecretStore, missing: string[]): Promise<never> {
  throw await store.notFoundError(missing);
}

/** One secret as `ls --format json` and `inspect` print it (Docker's capitalised keys). */
function summary(secret: SecretInfo) {
  return {
    Name: secret.name,
    Version: secret.version,
    CreatedAt: secret.created,
    UpdatedAt: secret.updated,
    Size: secret.size,
    Labels: secret.labels,
  };
}

/** `secret ls`'s table: NAME VERSION CREATED UPDATED SIZE LABELS. */
export function formatSecretTable(secrets: SecretInfo[], now: number): string {
  // Many secrets share a time (created together, or never rotated): word each time once.
  const worded = new Map<string, string>();
  const ago = (time: string) => {
    let text = worded.get(time);
    if (text === undefined) {
      text = `${humanDuration(now - Date.parse(time))} ago`;
      worded.set(time, text);
    }
    return text;
  };
  const rows = secrets.map((s) => {
    let labels = "";
    for (const key in s.labels) labels += `${labels ? "," : ""}${key}=${s.labels[key]}`;
    return [s.name, String(s.version), ago(s.created), ago(s.updated), String(s.size), labels];
  });
  return formatTable(["NAME", "VERSION", "CREATED", "UPDATED", "SIZE", "LABELS"], rows);
}

function formatLogTable(entries: AuditEntry[]): string {
  const rows = entries.map((e) => [
    e.time,
    e.user !== null ? `${e.user} (${e.uid ?? "?"})` : String(e.uid ?? "?"),
    e.operation,
    e.name ?? "",
    e.version !== undefined ? String(e.version) : "",
    e.project ?? "",
  ]);
  return formatTable(["TIME", "USER", "OPERATION", "NAME", "VERSION", "PROJECT"], rows);
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h) => h.length);
  for (const row of rows) {
    for (let column = 0; column < row.length; column++) {
      if (row[column]!.length > widths[column]!) widths[column] = row[column]!.length;
    }
  }
  const last = header.length - 1;
  let text = "";
  for (const cells of [header, ...rows]) {
    let line = "";
    for (let column = 0; column < last; column++) line += cells[column]!.padEnd(widths[column]! + 3);
    text += `${(line + cells[last]!).trimEnd()}\n`;
  }
  return text;
}

function writeToStdout(bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve())),
  );
}

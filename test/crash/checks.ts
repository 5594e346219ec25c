// The invariants a crash round asserts, each returning what it found wrong in words (an empty list
// when it holds). A finding names what was left, never a secret value.
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { docker, PROJECT_LABEL } from "../integration/helpers.js";
import { filesContaining, mountsUnder } from "../integration/secrets-helpers.js";
import { sha256, type RunOutcome, type World } from "./world.js";

/** Where composec keeps a project's material when run as root. */
export const materialDir = (project: string): string => path.join("/run/composec", project);

/** Containers, networks and volumes labelled with the project, and any mount or material of it. */
export async function projectLeftovers(project: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const left: string[] = [];
  for (const c of containers) left.push(`container ${c.Names[0]?.replace(/^\//, "")} (${c.State})`);
  for (const n of networks) left.push(`network ${n.Name}`);
  for (const v of volumes.Volumes ?? []) left.push(`volume ${v.Name}`);
  for (const mount of mountsUnder(materialDir(project))) left.push(`mount ${mount}`);
  if (existsSync(materialDir(project))) left.push(`material directory ${materialDir(project)}`);
  return left;
}

/**
 * Files on disk holding the round's marker (so a secret's bytes): the round's directory (the store,
 * the key, the project; the user's own source files left out), /tmp and /var/tmp, and `extra`.
 */
export function diskLeaks(world: World, extra: string[] = []): string[] {
  const roots = [world.dir, "/tmp", "/var/tmp", ...extra];
  const found = filesContaining(world.marker, roots, [path.basename(world.sourceDir)]);
  return [...new Set(found)].map((file) => `secret bytes on disk in ${file}`);
}

/** The marker in what the command printed (a value in a message or a progress line). */
export function outputLeaks(outcome: RunOutcome, world: World, what: string): string[] {
  const text = `${outcome.stdout.toString("utf8")}\n${outcome.stderr}`;
  return text.includes(world.marker) ? [`${what} printed a secret value`] : [];
}

/**
 * The material on the project's tmpfs: every delivered file holds a whole value of the secret it
 * is named for (old or new, never a mix); `expected` maps a file name under services/<svc>/ to
 * its secret, `absolute` the secret of files/<svc>/*. Staged files are reported when `staging`.
 */
export async function tornMaterial(
  world: World,
  expected: Record<string, string>,
  absolute: string,
  options: { staging: boolean },
): Promise<string[]> {
  const dir = materialDir(world.project);
  if (!existsSync(dir)) return [];
  const problems: string[] = [];
  const digestsOf = (secret: string): Set<string> =>
    new Set([...(world.values.get(secret)?.values() ?? [])].map((value) => sha256(value)));
  for (const kind of ["services", "files"]) {
    for (const service of await readdir(path.join(dir, kind)).catch(() => [] as string[])) {
      for (const file of await readdir(path.join(dir, kind, service)).catch(() => [] as string[])) {
        const secret = kind === "files" ? absolute : expected[file];
        const where = `${kind}/${service}/${file}`;
        if (secret === undefined) {
          problems.push(`material ${where} is no file of the service`);
          continue;
        }
        const digest = sha256(readFileSync(path.join(dir, kind, service, file)));
        if (!digestsOf(secret).has(digest))
          problems.push(`material ${where} holds neither an old nor a new value of ${secret} (torn)`);
      }
    }
  }
  if (options.staging) {
    const staged = await readdir(path.join(dir, ".staging")).catch(() => [] as string[]);
    if (staged.length > 0) problems.push(`${staged.length} staged file(s) left in ${dir}/.staging`);
  }
  return problems;
}

/** What the command's signal outcome promises: SIGINT exits 130, SIGTERM 143, no internal error. */
export function cleanStop(outcome: RunOutcome, signal: NodeJS.Signals): string[] {
  const problems: string[] = [];
  const wanted = signal === "SIGINT" ? 130 : 143;
  if (outcome.signalled && outcome.code !== wanted && outcome.code !== 0)
    problems.push(`exited ${outcome.code} after ${signal}, not ${wanted}`);
  if (/internal error/.test(outcome.stderr)) problems.push(`an internal error after ${signal}`);
  return problems;
}

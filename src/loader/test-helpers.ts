// Test helpers for the loader's unit tests: a project written into a fresh temporary directory from
// inline text, loaded with an explicit environment (the real process environment never leaks in),
// and the outcome reduced to what tests assert on: the project and its warnings, or every problem
// as the CLI would print it, with the temporary directory cut from file names.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { onTestFinished } from "vitest";
import { formatProblem, ProjectError, type Problem } from "../errors.js";
import type { Project } from "../model/project.js";
import { loadProject, type LoadOptions } from "./index.js";

/**
 * One entry of a test project. A string that starts with a newline is an indented block of text
 * (compose files, `.env`): the first newline and the common indentation are removed, so tests can
 * indent YAML with the code. Any other string or Buffer is written byte for byte.
 */
export type Entry =
  string | Buffer | { symlink: string } | { directory: true } | { fifo: true } | { size: number };

export interface LoadRequest extends Omit<LoadOptions, "cwd" | "env"> {
  /** Working directory relative to the project's temporary directory (default: the directory). */
  cwd?: string;
  /** The shell environment; default empty, never the real `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface Loaded {
  ok: true;
  dir: string;
  project: Project;
  variables: Record<string, string>;
  /** Warnings as printed after `warning: `, the temporary directory cut from paths. */
  warnings: string[];
}

export interface Failed {
  ok: false;
  dir: string;
  problems: Problem[];
  /** Problems as printed after `error: `, the temporary directory cut from paths. */
  errors: string[];
  warnings: string[];
}

/** Removes the first newline and the common indentation of an indented block. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").split("\n");
  const indents = lines.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)![0].length);
  const indent = indents.length ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(indent)).join("\n");
}

/** A fresh temporary directory holding `entries`, removed when the current test ends. */
export function writeProject(entries: Record<string, Entry>): string {
  // realpath: /tmp may be a symlink, and the loader reports resolved paths.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "composec-unit-")));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, entry] of Object.entries(entries)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof entry === "string") writeFileSync(path, entry.startsWith("\n") ? dedent(entry) : entry);
    else if (Buffer.isBuffer(entry)) writeFileSync(path, entry);
    else if ("symlink" in entry) symlinkSync(entry.symlink, path);
    else if ("directory" in entry) mkdirSync(path, { recursive: true });
    else if ("fifo" in entry) execFileSync("mkfifo", [path]);
    else writeFileSync(path, Buffer.alloc(entry.size, "x"));
  }
  return dir;
}

/** Writes `entries` into a temporary directory and loads them as `composec` would. */
export async function load(
  entries: Record<string, Entry>,
  request: LoadRequest = {},
): Promise<Loaded | Failed> {
  const dir = writeProject(entries);
  return loadIn(dir, request);
}

/** Loads the project in `dir` (made by writeProject). */
export async function loadIn(dir: string, request: LoadRequest = {}): Promise<Loaded | Failed> {
  const { cwd, env, ...rest } = request;
  const strip = (problem: Problem) => formatProblem(problem).split(`${dir}/`).join("");
  try {
    const result = await loadProject({ ...rest, cwd: cwd ? join(dir, cwd) : dir, env: env ?? {} });
    return {
      ok: true,
      dir,
      project: result.project,
      variables: result.variables,
      warnings: result.warnings.map(strip),
    };
  } catch (error) {
    if (!(error instanceof ProjectError)) throw error;
    return {
      ok: false,
      dir,
      problems: error.problems,
      errors: error.problems.map(strip),
      warnings: error.warnings.map(strip),
    };
  }
}

/** Loads a project that must be valid; fails the test with the problems otherwise. */
export async function loadOk(entries: Record<string, Entry>, request: LoadRequest = {}): Promise<Loaded> {
  return expectOk(await load(entries, request));
}

/** Loads a project that must be invalid; fails the test if it loaded. */
export async function loadFail(entries: Record<string, Entry>, request: LoadRequest = {}): Promise<Failed> {
  return expectFail(await load(entries, request));
}

export function expectOk(result: Loaded | Failed): Loaded {
  if (!result.ok) throw new Error(`expected the project to load, but:\n${result.errors.join("\n")}`);
  return result;
}

export function expectFail(result: Loaded | Failed): Failed {
  if (result.ok) throw new Error("expected the project to be refused, but it loaded");
  return result;
}

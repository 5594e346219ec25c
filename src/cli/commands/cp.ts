import type { Command } from "commander";
import { copy, parseCopyEndpoint } from "../../compose/cp.js";
import type { Output } from "../output.js";
import { parseIndex } from "../parse.js";
import { projectOrName } from "../project-context.js";

interface CpFlags {
  index: string;
  archive: boolean;
  followLink: boolean;
}

/** `composec cp SERVICE:SRC DEST | SRC SERVICE:DEST`: copy files, as `docker compose cp`. */
export function registerCp(program: Command, output: Output): void {
  program
    .command("cp")
    .description("Copy files between a service container and the host (`-` is a tar stream)")
    .argument("<source>", "SERVICE:PATH, or a host path (- for a tar stream on stdin)")
    .argument("<destination>", "a host path (- for a tar stream on stdout), or SERVICE:PATH")
    .option("--index <n>", "container number of the service", "1")
    .option("-a, --archive", "keep owners (uid/gid) as they are", false)
    .option("-L, --follow-link", "follow a symbolic link given as the host source", false)
    .action(async (source: string, destination: string, flags: CpFlags, command: Command) => {
      const index = parseIndex(flags.index);
      const { name, engine } = await projectOrName(command, output);
      await copy(name, engine, {
        source: parseCopyEndpoint(source),
        destination: parseCopyEndpoint(destination),
        index,
        archive: flags.archive,
        followLink: flags.followLink,
      });
    });
}

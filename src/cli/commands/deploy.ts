import type { Command } from "commander";
import { InterruptedError, UsageError } from "../../errors.js";
import { Interrupt } from "../interrupt.js";
import { deploy } from "../../swarm/deploy.js";
import { listStacks, stackServices, stackTasks, undeploy } from "../../swarm/stack.js";
import type { DeployPlan } from "../../swarm/plan.js";
import { openStoreSource } from "../../store/source.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { engineFromOptions, projectContext, projectOrName } from "../project-context.js";
import { globalOptions } from "../global-options.js";
import { formatColumns } from "../table.js";

interface DeployFlags {
  detach: string | boolean;
  prune: boolean;
}

/** `composec deploy` / `composec stack deploy`: put the project on a Swarm as a stack. */
function defineDeploy(command: Command, output: Output): void {
  command
    .description(
      "Deploy the project to a Docker Swarm as a stack (secrets versioned, rotated by rolling update)",
    )
    .option(
      "-d, --detach [bool]",
      "return once the Swarm has the new specs (true), or wait until the services converge (false)",
      "true",
    )
    .option("--prune", "remove services of the stack that are no longer in the project", false)
    .action(async (flags: DeployFlags, cmd: Command) => {
      const wait = !parseBool("--detach", flags.detach);
      const { options, project, variables, engine } = await projectContext(cmd, output);
      const progress = createProgress(output, options.progress, "Deploying");
      const interrupt = new Interrupt();
      try {
        const result = await deploy(project, engine, {
          variables,
          store: openStoreSource(process.env, { project: project.name }),
          wait,
          prune: flags.prune,
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          onWarning: progress.onWarning,
          signal: interrupt.signal,
        });
        progress.finish();
        if (options.dryRun) output.stdout(formatDeployPlan(result.plan));
      } catch (error) {
        progress.finish();
        if (interrupt.aborted) {
          const message =
            error instanceof InterruptedError
              ? error.message
              : "interrupted: run `composec deploy` again to finish";
          throw interrupt.error(message, error);
        }
        throw error;
      } finally {
        interrupt.dispose();
      }
    });
}

/** `composec undeploy` / `composec stack rm`: remove the stack's services, secrets, configs and networks. */
function defineUndeploy(command: Command, output: Output): void {
  command
    .description("Remove the stack from the Swarm: its services, secrets, configs and networks")
    .action(async (_flags: unknown, cmd: Command) => {
      const { options, name, engine } = await projectOrName(cmd, output);
      const progress = createProgress(output, options.progress, "Removing");
      const result = await undeploy(name, engine, { onProgress: progress.onProgress });
      progress.finish();
      if (result.nothingToDo)
        output.stderr(
          `Stack ${name}: nothing to do, no services, secrets, configs or networks of it exist\n`,
        );
    });
}

/** `composec deploy`. */
export function registerDeploy(program: Command, output: Output): void {
  defineDeploy(program.command("deploy"), output);
}

/** `composec undeploy`. */
export function registerUndeploy(program: Command, output: Output): void {
  defineUndeploy(program.command("undeploy"), output);
}

/** `composec stack deploy|rm|ps|services|ls`, shaped like `docker stack`. */
export function registerStack(program: Command, output: Output): void {
  const stack = program.command("stack").description("Manage the project's stack on a Docker Swarm");
  defineDeploy(stack.command("deploy"), output);
  defineUndeploy(stack.command("rm"), output);
  stack
    .command("ps")
    .description("List the stack's tasks")
    .action(async (_flags: unknown, cmd: Command) => {
      const { name, engine } = await projectOrName(cmd, output);
      const rows = await stackTasks(name, engine);
      output.stdout(
        formatColumns(
          ["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR"],
          rows.map((r) => [r.id, r.name, r.image, r.node, r.desiredState, r.currentState, r.error]),
        ),
      );
    });
  stack
    .command("services")
    .description("List the stack's services")
    .action(async (_flags: unknown, cmd: Command) => {
      const { name, engine } = await projectOrName(cmd, output);
      const rows = await stackServices(name, engine);
      output.stdout(
        formatColumns(
          ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
          rows.map((r) => [r.id, r.name, r.mode, r.replicas, r.image, r.ports]),
        ),
      );
    });
  stack
    .command("ls")
    .description("List the stacks on the Swarm")
    .action(async (_flags: unknown, cmd: Command) => {
      const stacks = await listStacks(engineFromOptions(globalOptions(cmd)));
      output.stdout(
        formatColumns(
          ["NAME", "SERVICES"],
          stacks.map((s) => [s.name, String(s.services)]),
        ),
      );
    });
}

function parseBool(flag: string, value: string | boolean): boolean {
  if (value === true || value === "true" || value === "1") return true;
  if (value === false || value === "false" || value === "0") return false;
  throw new UsageError(`${flag}="${String(value)}" is not a boolean; use true or false`);
}

/** What `--dry-run` prints: each object and what would happen to it (names only, never values). */
export function formatDeployPlan(plan: DeployPlan): string {
  const lines: string[] = [];
  for (const network of plan.networks) lines.push(`network ${network.name}: ${network.action}`);
  for (const secret of plan.secrets) lines.push(`secret ${secret.name}: ${secret.action}`);
  for (const config of plan.configs) lines.push(`config ${config.name}: ${config.action}`);
  for (const service of plan.services) lines.push(`service ${service.name}: ${service.action}`);
  for (const orphan of plan.orphans)
    lines.push(`service ${orphan.name}: not in the project (removed with --prune)`);
  return lines.map((line) => `${line}\n`).join("");
}

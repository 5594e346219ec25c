// Plans as stable text, one node per line, as Compose prints its reconciliation plans:
//
//   [] -> #1 network:default, CreateNetwork, not found
//   [1] -> #2 service:web:1, CreateContainer, no existing container
//
// `up --dry-run` prints it, and planner tests assert it.
import type { Plan, PlanNode } from "./types.js";

/** One line per node: `[deps] -> #id resource, Operation, cause [group]`; empty for an empty plan. */
export function formatPlan(plan: Pick<Plan, "nodes">): string {
  return plan.nodes.map((node) => `${formatNode(node)}\n`).join("");
}

export function formatNode(node: PlanNode): string {
  const line = `[${node.dependsOn.join(",")}] -> #${node.id} ${node.resource}, ${node.operation.type}${hooksOf(node)}, ${node.cause}`;
  return node.group === undefined ? line : `${line} [${node.group}]`;
}

/** ` +2 post_start hooks`: a start or stop that runs hooks says so. */
function hooksOf(node: PlanNode): string {
  const op = node.operation;
  const [kind, count] =
    op.type === "StartContainer"
      ? ["post_start", op.postStart?.length ?? 0]
      : op.type === "StopContainer"
        ? ["pre_stop", op.preStop?.hooks.length ?? 0]
        : ["", 0];
  return count === 0 ? "" : ` +${count} ${kind} hook${count === 1 ? "" : "s"}`;
}

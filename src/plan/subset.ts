// Part of a plan: `create` is `up` without its starts and waits, `stop` is `down` without its
// removals, `run` needs only the networks and volumes of `up`. Pure.
import type { PlanNode } from "./types.js";

/**
 * The nodes `keep` accepts, numbered 1, 2, ... again. A kept node that depended on a dropped one
 * depends on what the dropped one depended on instead, so the order among kept nodes holds.
 */
export function keepNodes(nodes: PlanNode[], keep: (node: PlanNode) => boolean): PlanNode[] {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const kept = nodes.filter(keep);
  const ids = new Map(kept.map((node, index) => [node.id, index + 1]));
  const resolve = (id: number, seen: Set<number>): number[] => {
    if (ids.has(id)) return [ids.get(id) as number];
    if (seen.has(id)) return [];
    seen.add(id);
    return (byId.get(id)?.dependsOn ?? []).flatMap((dep) => resolve(dep, seen));
  };
  return kept.map((node) => ({
    ...node,
    id: ids.get(node.id) as number,
    dependsOn: [...new Set(node.dependsOn.flatMap((dep) => resolve(dep, new Set())))].sort((a, b) => a - b),
  }));
}

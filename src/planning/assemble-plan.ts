import { TaskgraphError } from '../core/errors.js';
import type { Task } from '../core/task.js';
import { findCycle, topologicalOrder } from '../core/validate.js';

/**
 * One task as the recursive planner collected it, before dependencies are rewired. Ids are
 * full plan ids (`T2.1`); `dependencies` name tasks of the same level (siblings) only. A task is
 * atomic exactly when it has no children.
 */
export interface PlannedTask {
  id: string;
  parent?: string;
  depth: number;
  title: string;
  description: string;
  acceptance: string[];
  files: string[];
  /** full ids of sibling tasks this one needs, as the planner wrote them */
  dependencies: string[];
  /** full ids of the subtasks, in plan order; empty for a leaf */
  children: string[];
}

/** What {@link assemblePlan} returns. */
export interface AssembledPlan {
  /** every task in plan order (depth-first, parents before children), dependencies rewired */
  tasks: Task[];
  /** ids of the leaves (executed tasks) in topological order: dependencies first, ties by plan order */
  leaves: string[];
}

/**
 * Turns the collected task tree into stored tasks with leaf-level dependencies. Pure.
 * Rewiring rules (DESIGN.md §2 step 2, recursive decomposition):
 * - a task with no dependencies of its own at its level inherits its parent's dependencies
 *   (recursively up the tree);
 * - a dependency on a decomposed task becomes dependencies on all of its leaf descendants;
 * so every id in any task's `dependencies` is a leaf. A parent keeps the (rewired) dependencies
 * its subtree inherits, for display.
 * Leaves are ordered with Kahn's algorithm (`topologicalOrder`), ties broken by plan order.
 * @param planned the tasks in plan order (pre-order of the tree), each id unique
 * @param planId plan id written into every task
 * @throws TaskgraphError `PLAN_INVALID` when the leaf dependency graph has a cycle (message names the path)
 */
export function assemblePlan(planned: readonly PlannedTask[], planId: string): AssembledPlan {
  const byId = new Map<string, PlannedTask>();
  const position = new Map<string, number>();
  planned.forEach((task, i) => {
    if (byId.has(task.id)) throw new TaskgraphError('INTERNAL', `planner produced the task id "${task.id}" twice`);
    byId.set(task.id, task);
    position.set(task.id, i);
  });

  const leavesMemo = new Map<string, string[]>();
  const leavesOf = (id: string): string[] => {
    const hit = leavesMemo.get(id);
    if (hit) return hit;
    const task = byId.get(id);
    const result = !task || task.children.length === 0 ? [id] : unique(task.children.flatMap(leavesOf));
    leavesMemo.set(id, result);
    return result;
  };
  const depsMemo = new Map<string, string[]>();
  const effectiveDeps = (id: string): string[] => {
    const hit = depsMemo.get(id);
    if (hit) return hit;
    const task = byId.get(id)!;
    const own = task.dependencies.filter((d) => byId.has(d));
    const result =
      own.length > 0 ? unique(own.flatMap(leavesOf)) : task.parent !== undefined && byId.has(task.parent) ? effectiveDeps(task.parent) : [];
    depsMemo.set(id, result);
    return result;
  };

  const tasks: Task[] = planned.map((p) => ({
    planId,
    id: p.id,
    title: p.title,
    description: p.description,
    acceptance: [...p.acceptance],
    dependencies: effectiveDeps(p.id),
    files: [...p.files],
    atomic: p.children.length === 0,
    ...(p.parent !== undefined ? { parent: p.parent } : {}),
    depth: p.depth,
    tags: [],
    notes: [],
    status: 'pending' as const,
  }));

  const leafIds = planned.filter((p) => p.children.length === 0).map((p) => p.id);
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const id of leafIds) {
    preds.set(id, effectiveDeps(id));
    succs.set(id, []);
  }
  for (const id of leafIds) for (const dep of preds.get(id)!) succs.get(dep)?.push(id);
  const cycle = findCycle(leafIds, preds);
  if (cycle) {
    const path = cycle.join(' -> ');
    throw new TaskgraphError('PLAN_INVALID', `the plan's task dependencies form a cycle after decomposition: ${path} (each task depends on the next)`, {
      details: { cycle },
      hint: 'plan again (the planner may answer differently) or add a note that tells it which order the tasks need',
    });
  }
  const leaves = topologicalOrder(leafIds, preds, succs, (id) => -position.get(id)!);
  return { tasks, leaves };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

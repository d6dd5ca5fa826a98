import type { PlanRecord, Task, TaskLink } from '../core/task.js';
import type { AuditInput } from './audit.js';
import { checkNewLink, type RequiresEdge } from './link-rules.js';
import { insertAudit } from './sqlite-audit.js';
import { taskNotFound } from './sqlite-errors.js';
import { linkFromRow, linkParams, planFromRow, storedJson, storedText, taskFromRow, taskParams, type LinkRow, type PlanRow, type TaskRow } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * The `plans`, `tasks` and `task_links` tables for {@link import('./sqlite-store.js').SqliteStore}.
 * `requires` links mirror `task.dependencies` (`{from: task, to: dependency}`): the writes here keep
 * both in step. Functions named `write…` run INSIDE a write transaction the caller opened.
 */

/**
 * Upserts one task and rewrites its outgoing `requires` links from `task.dependencies`.
 * @param position plan order index; undefined appends a new task last (an existing task keeps its place)
 * @throws SqliteError (foreign key) when the plan is missing; the store maps it to NOT_FOUND
 */
export function writeTask(s: Statements, task: Task, planId: string, position?: number): void {
  if (position === undefined) s.upsertTaskAppend.run(taskParams(task, planId, 0));
  else s.upsertTaskAt.run(taskParams(task, planId, position));
  s.deleteRequiresFrom.run({ plan_id: planId, from_task: task.id });
  for (const dep of task.dependencies) {
    s.insertLink.run({ plan_id: planId, from_task: task.id, to_task: dep, type: 'requires' });
  }
}

/** Upserts the plan row and each of its tasks in plan order (version 1 is the caller's). */
export function writePlan(s: Statements, plan: PlanRecord): void {
  s.upsertPlan.run({ id: plan.id, goal: storedText(plan.goal), created_at: plan.createdAt, meta: storedJson(plan.meta) });
  plan.tasks.forEach((task, i) => writeTask(s, task, plan.id, i));
}

/** The tasks of a plan in plan order (empty for an unknown plan). */
export function readTasks(s: Statements, planId: string): Task[] {
  return (s.listTasks.all(planId) as TaskRow[]).map(taskFromRow);
}

/** The plan with its tasks, or undefined. */
export function readPlan(s: Statements, id: string): PlanRecord | undefined {
  const row = s.getPlan.get(id) as PlanRow | undefined;
  return row && planFromRow(row, readTasks(s, id));
}

/** Every plan with its tasks, newest first. */
export function readPlans(s: Statements): PlanRecord[] {
  return (s.listPlans.all() as PlanRow[]).map((row) => planFromRow(row, readTasks(s, row.id)));
}

/** One task, or undefined. */
export function readTask(s: Statements, planId: string, taskId: string): Task | undefined {
  const row = s.getTask.get(planId, taskId) as TaskRow | undefined;
  return row && taskFromRow(row);
}

/**
 * Appends `note` to the task's notes and, when `audit` is given, its audit entry in the same
 * transaction (both or neither).
 * @returns the updated task
 * @throws TaskgraphError NOT_FOUND when the task is not in the plan
 */
export function writeTaskNote(s: Statements, planId: string, taskId: string, note: string, audit?: AuditInput): Task {
  if (s.appendNote.run({ plan_id: planId, id: taskId, note: storedText(note) }).changes === 0) throw taskNotFound(planId, taskId);
  if (audit) insertAudit(s, audit);
  return taskFromRow(s.getTask.get(planId, taskId) as TaskRow);
}

/**
 * Inserts a link after {@link checkNewLink}; a `requires` link adds `to` to the `from` task's dependencies.
 * @throws TaskgraphError NOT_FOUND when either task is missing; PLAN_INVALID from `checkNewLink`
 */
export function writeAddLink(s: Statements, link: TaskLink): void {
  const from = s.getTask.get(link.planId, link.from) as TaskRow | undefined;
  if (!from) throw taskNotFound(link.planId, link.from);
  if (!s.getTask.get(link.planId, link.to)) throw taskNotFound(link.planId, link.to);
  const requires = (s.listRequires.all(link.planId) as Array<{ from_task: string; to_task: string }>).map(
    (r): RequiresEdge => ({ from: r.from_task, to: r.to_task }),
  );
  checkNewLink(link, requires);
  s.insertLink.run(linkParams(link));
  const deps = JSON.parse(from.dependencies) as string[];
  if (link.type === 'requires' && !deps.includes(link.to)) {
    s.setTaskDependencies.run({ plan_id: link.planId, id: link.from, dependencies: JSON.stringify([...deps, link.to]) });
  }
}

/** Deletes a link (absent: no-op); a `requires` link drops `to` from the `from` task's dependencies. */
export function writeRemoveLink(s: Statements, link: TaskLink): void {
  s.deleteLink.run(linkParams(link));
  const from = s.getTask.get(link.planId, link.from) as TaskRow | undefined;
  if (link.type !== 'requires' || !from) return;
  const deps = JSON.parse(from.dependencies) as string[];
  if (deps.includes(link.to)) {
    const kept = deps.filter((d) => d !== link.to);
    s.setTaskDependencies.run({ plan_id: link.planId, id: link.from, dependencies: JSON.stringify(kept) });
  }
}

/** The links of a plan, or those touching `taskId` (either end), ordered by (from, to, type). */
export function readLinks(s: Statements, planId: string, taskId?: string): TaskLink[] {
  const rows = taskId === undefined ? s.listLinks.all(planId) : s.listLinksOf.all({ plan_id: planId, task: taskId });
  return (rows as LinkRow[]).map(linkFromRow);
}

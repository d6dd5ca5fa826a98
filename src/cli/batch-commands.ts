import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { TASK_STATUSES, type Task, type TaskStatus } from '../core/task.js';
import { finishEdit, updateTask } from '../planning/plan-edit.js';
import type { Store } from '../store/store.js';
import type { CommonOptions } from './commands.js';
import { choosePlan } from './plan-choice.js';
import { safeJson, safeText } from './safe-text.js';
import { applyPlanEdit, idList, whoOf } from './task-edit-commands.js';
import { type ImportedList, type ImportedTask, parseTaskJson, parseTaskMarkdown, tasksToMarkdown } from './task-import-parse.js';
import { withProject } from './wiring.js';

/**
 * Batch commands (issue 13, "Batch and sessions"): `taskgraph import FILE`, `taskgraph export`
 * and `taskgraph update --status S --tasks A,B,C`. Each writes in ONE store transaction — a new
 * plan (`Store.savePlan`), or a new version of an existing plan with its `plan-edit` audit entry
 * (`applyPlanEdit`, the function `taskgraph task add|update` uses) — so nothing is half-written.
 */

/** Options of the batch commands. */
export type BatchOptions = CommonOptions & { by?: string; session?: string; plan?: string };

const out = (text: string) => process.stdout.write(`${safeText(text)}\n`);

/** What an import wrote. */
export interface ImportResult {
  planId: string;
  /** plan version: 1 for a new plan */
  version: number;
  /** how many tasks the plan now has */
  tasks: number;
  created: boolean;
}

/**
 * Reads a task list file: `.md`/`.markdown` as a Markdown task list, anything else as JSON.
 * @throws TaskgraphError NOT_FOUND (no such file), PLAN_INVALID (bad JSON or bad rows, by index)
 */
export async function readTaskList(file: string): Promise<ImportedList> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new TaskgraphError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`, { hint: 'give the path of a tasks.json or tasks.md file' });
  });
  if (/\.(md|markdown)$/i.test(file)) return parseTaskMarkdown(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TaskgraphError('PLAN_INVALID', `${file} is not JSON: ${(error as Error).message}; nothing was imported`, { hint: 'a .md file is read as a Markdown task list' });
  }
  return parseTaskJson(value);
}

/** A parsed row as a stored task of `planId` (shape fields are recomputed by `finishEdit`). */
const asTask = (planId: string) => (t: ImportedTask): Task => ({ ...t, planId, atomic: true, depth: 0, notes: [] });

/**
 * Imports a parsed task list. Without `plan`: a new plan (goal from the list, else `fallbackGoal`),
 * written with its version 1 in one transaction; `session` is kept in its `meta.session`. With
 * `plan`: the plan's tasks are replaced by the list as a new version, with a `plan-edit` audit
 * entry (details.session) in the same transaction. The whole list is validated first
 * (`finishEdit`: tree shape, dependencies, cycles, task text); nothing is written when it fails.
 * @throws TaskgraphError PLAN_INVALID, NOT_FOUND (plan), RUN_STATE (a run is executing the plan)
 */
export async function importTaskList(
  store: Store,
  list: ImportedList,
  o: { plan?: string | undefined; by: string; session?: string | undefined; fallbackGoal: string; nowMs?: number },
): Promise<ImportResult> {
  const ids = list.tasks.map((t) => t.id);
  const summary = `import ${ids.length} task${ids.length === 1 ? '' : 's'}`;
  if (o.plan !== undefined) {
    const version = await applyPlanEdit(store, o.plan, o.by, (_old, planId) => ({ tasks: list.tasks.map(asTask(planId)), summary, touched: ids }), { session: o.session });
    return { planId: version.planId, version: version.version, tasks: version.tasks.length, created: false };
  }
  const planId = `plan-${randomBytes(6).toString('hex')}`;
  const done = finishEdit(planId, { tasks: list.tasks.map(asTask(planId)), summary, touched: ids });
  await store.savePlan({
    id: planId,
    goal: list.goal ?? o.fallbackGoal,
    createdAt: new Date(o.nowMs ?? Date.now()).toISOString(),
    tasks: done.tasks,
    meta: { leaves: done.leaves, imported: true, by: o.by, ...(o.session !== undefined ? { session: o.session } : {}) },
  });
  return { planId, version: 1, tasks: done.tasks.length, created: true };
}

/** A plan's task list as {@link ImportedList} rows: what `export` writes and `import` reads back. */
export async function exportTaskList(store: Store, planId: string): Promise<ImportedList & { planId: string; goal: string }> {
  const plan = await store.getPlan(planId);
  if (!plan) throw new TaskgraphError('NOT_FOUND', `no plan "${planId}"`, { hint: 'list plans with `taskgraph runs`' });
  const tasks = plan.tasks.map(({ planId: _p, notes: _n, atomic: _a, depth: _d, ...t }) => t);
  return { planId, goal: plan.goal, tasks };
}

/**
 * Sets the status of several tasks of a plan at once, as one new plan version with its audit
 * entry. Every id is checked first: one unknown id refuses the whole update, naming all of them.
 * @throws TaskgraphError CONFIG_INVALID (unknown status, no ids), NOT_FOUND (unknown ids; nothing changed)
 */
export async function updateTaskStatuses(store: Store, planArg: string | undefined, ids: readonly string[], status: string, by: string, session?: string) {
  if (!TASK_STATUSES.includes(status as TaskStatus)) {
    throw new TaskgraphError('CONFIG_INVALID', `unknown status "${status}"`, { hint: `use one of: ${TASK_STATUSES.join(', ')}` });
  }
  if (ids.length === 0) throw new TaskgraphError('CONFIG_INVALID', 'no task ids given', { hint: 'taskgraph update --status done --tasks T1,T2' });
  const planId = await choosePlan(store, planArg);
  return applyPlanEdit(
    store,
    planId,
    by,
    (tasks) => {
      const known = new Set(tasks.map((t) => t.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new TaskgraphError('NOT_FOUND', `unknown task${unknown.length === 1 ? '' : 's'} in plan ${planId}: ${unknown.join(', ')}; nothing was changed`, {
          details: { planId, unknown },
          hint: `tasks of ${planId}: ${[...known].slice(0, 20).join(', ')}`,
        });
      }
      let edited: Task[] = tasks;
      for (const id of new Set(ids)) edited = updateTask(edited, id, { status: status as TaskStatus }).tasks;
      return { tasks: edited, summary: `status ${status}: ${[...new Set(ids)].join(', ')}`, touched: [] };
    },
    { session },
  );
}

/** `taskgraph import FILE [--plan ID] [--by NAME]`: prints the plan id and version. */
export async function importCommand(file: string, opts: BatchOptions): Promise<number> {
  return withProject(opts, async (project) => {
    const list = await readTaskList(file);
    const result = await importTaskList(project.store, list, { plan: opts.plan, by: whoOf(opts), session: opts.session, fallbackGoal: `imported from ${path.basename(file)}` });
    if (opts.json) out(safeJson(result));
    else out(`${result.created ? 'created' : 'updated'} plan ${result.planId} version ${result.version}: ${result.tasks} tasks   review: taskgraph plan show ${result.planId}`);
    return 0;
  });
}

/** `taskgraph export [--plan ID] [--format json|md] [--out FILE]`: the plan's tasks, to stdout or a file. */
export async function exportCommand(opts: BatchOptions & { format?: string; out?: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const list = await exportTaskList(project.store, await choosePlan(project.store, opts.plan));
    const format = opts.format ?? 'json';
    const text = format === 'md' ? tasksToMarkdown(list.goal, list.tasks) : `${JSON.stringify(list, null, 2)}\n`;
    if (opts.out) await writeFile(opts.out, text);
    else process.stdout.write(text);
    return 0;
  });
}

/** `taskgraph update --status S --tasks A,B,C [--plan ID]`: all of them, or none. */
export async function updateCommand(opts: BatchOptions & { status: string; tasks: string }): Promise<number> {
  return withProject(opts, async (project) => {
    const version = await updateTaskStatuses(project.store, opts.plan, idList(opts.tasks) ?? [], opts.status, whoOf(opts), opts.session);
    if (opts.json) out(safeJson({ planId: version.planId, version: version.version, summary: version.summary }));
    else out(`plan ${version.planId} version ${version.version}: ${version.summary}`);
    return 0;
  });
}
